// Recognizes storage failures (disk full, damaged database) in errors from any layer, and remembers a
// full disk so /readyz says so until a write succeeds again.

import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DiskFullError, StoreError } from '../errors.js';
import { damagedDatabase } from '../store/database.js';

/** Free space the readiness probe wants before it calls a full disk fixed: one failed batch can need megabytes. */
export const READY_MIN_FREE_BYTES = 8 * 1024 * 1024;

/** SQLite's own codes, and errno codes from the file system, that mean "no space left". */
const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_SHMSIZE']);
const DAMAGED_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE']);

function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

export function isDiskFull(err: unknown): boolean {
  const code = codeOf(err);
  if (code === undefined) return false;
  // an I/O write error is a full disk only when SQLite says so in its message
  if (code.startsWith('SQLITE_IOERR')) return /full|no space/i.test((err as Error).message ?? '');
  return FULL_CODES.has(code);
}

export function isDamaged(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && DAMAGED_CODES.has(code);
}

/** Turns a storage error into what the API answers (507 for a full disk) and the operator reads. */
export function describeStorageError(err: unknown, dbPath: string): unknown {
  if (isDiskFull(err)) return new DiskFullError(dbPath);
  if (isDamaged(err)) return new StoreError(damagedDatabase(dbPath, err));
  return err;
}

/** Bytes available to us on the file system holding `path` (null when it cannot be told). */
export function freeBytes(path: string): number | null {
  try {
    const st = statfsSync(dirname(path));
    return st.bavail * st.bsize;
  } catch {
    return null;
  }
}

/**
 * The disk-full state /readyz reports: set by a write that failed for space, cleared by any write
 * request that then succeeds, or by the readiness probe once the file system has room again (a few
 * kilobytes left would let a tiny probe write pass while every real batch still fails).
 */
export class DiskFullState {
  #since: number | null = null;

  get since(): number | null {
    return this.#since;
  }

  noteFull(now = Date.now()): void {
    this.#since ??= now;
  }

  noteWriteOk(): void {
    this.#since = null;
  }

  /** While flagged: true while still full; clears when `dbPath`'s file system has room and `probe` (a one-row write) passes. */
  check(dbPath: string, probe: () => void): boolean {
    if (this.#since === null) return false;
    const free = freeBytes(dbPath);
    if (free !== null && free < READY_MIN_FREE_BYTES) return true;
    try {
      probe();
      this.#since = null;
      return false;
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      return true;
    }
  }
}
