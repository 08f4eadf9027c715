// Opens fusion.db with the pragmas the engine relies on (WAL, chosen synchronous level) and migrates it.

import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { StoreError } from '../errors.js';
import { migrate } from './schema.js';

export const WAL_CHECKPOINT_BYTES = 32 * 1024 * 1024;
/**
 * The committing connection's own checkpoint threshold while a WalCheckpointer works beside it: under
 * continuous commits only this checkpoint lets the WAL start over (a PASSIVE one never finds every
 * frame copied), and it finds almost all of them copied already. 64 MiB blocked commits on I/O
 * more often (docs/benchmarks.md "P3, fourth pass"); after a restart the file is cut to
 * journal_size_limit (64 MiB).
 */
export const WAL_BACKSTOP_BYTES = 128 * 1024 * 1024;

/** better-sqlite3 as this module loads it: a checkpoint worker must load the same library (one SQLite per process). */
export const SQLITE_DRIVER = createRequire(import.meta.url).resolve('better-sqlite3');

/** Page size of a database file created by this version (existing files keep theirs). */
export const PAGE_SIZE = 16_384;

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

/**
 * A database file that exists but holds 0 bytes (and no WAL to recover from) was truncated or made
 * by hand; SQLite would take it as a new, empty database and Fusion would serve empty views as if
 * they were the truth.
 */
function refuseEmptyFile(path: string): void {
  if (path === ':memory:' || sizeOf(path) !== 0 || (sizeOf(`${path}-wal`) ?? 0) > 0) return;
  throw new StoreError(
    `${path} is empty (0 bytes): it was truncated or created by hand, and starting on it would serve empty views as if they were real. ` +
      'Restore it from a backup, or delete it to start fresh (the agents then re-snapshot every view)',
  );
}

export function openDatabase(path: string, synchronous: 'full' | 'normal'): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  refuseEmptyFile(path);
  const db = new Database(path);
  try {
    // 16 KiB pages for a new file (an existing one keeps its size: SQLite ignores this once the
    // file has content). Node blobs of a commit are ~0.5 MB: with 4 KiB pages each is a long chain
    // of overflow pages, and writing them into the WAL was a tenth of Fusion's CPU for a 1M-file
    // snapshot (in-process apply + commit: 2.6-2.8 CPU-s with 16 KiB, 2.8-3.3 with 4 KiB, same
    // session; docs/benchmarks.md). Realtime batches were as fast either way (P1).
    db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = OFF');
    // Bounded page cache: the working set lives in the in-memory index, SQLite only writes.
    db.pragma('cache_size = -4096');
    db.pragma('temp_store = MEMORY');
    // Checkpoint the WAL every 32 MiB instead of SQLite's 4 MiB: a snapshot writes ~200 MB of pages
    // per million files, and each checkpoint is a copy into the main file plus two fsyncs on the
    // request path (measured: ~0.3 s less CPU per million files ingested). The file is cut back
    // to 64 MiB after a checkpoint, so a burst does not leave a huge WAL behind. A store that
    // checkpoints from a worker (wal-checkpointer.ts) raises this to WAL_BACKSTOP_BYTES.
    setAutoCheckpoint(db, WAL_CHECKPOINT_BYTES);
    db.pragma('journal_size_limit = 67108864');
    migrate(db);
  } catch (err) {
    db.close();
    throw describeOpenError(path, err);
  }
  return db;
}

/**
 * The WAL size at which the committing connection checkpoints by itself: 32 MiB (openDatabase), or
 * WAL_BACKSTOP_BYTES while a WalCheckpointer does it from a worker. The pragma counts pages, so the
 * bytes are divided by this file's page size (an older file has 4 KiB pages).
 */
export function setAutoCheckpoint(db: Database.Database, bytes: number): void {
  db.pragma(`wal_autocheckpoint = ${Math.round(bytes / (db.pragma('page_size', { simple: true }) as number))}`);
}

/** What the operator reads for a damaged file, wherever SQLite notices it (opening, loading a view, serving). */
export function damagedDatabase(path: string, err: unknown): string {
  const code = (err as { code?: string }).code;
  return (
    `${path}: ${(err as Error).message} (${code}): the database file is damaged or not a SQLite database. ` +
    `Stop Fusion, move ${path} with its -wal and -shm files aside and start again to rebuild the views from the agents (they re-snapshot), or restore the file from a backup`
  );
}

/** Names the file in the error, and says what a damaged file means for the operator. */
function describeOpenError(path: string, err: unknown): unknown {
  if (err instanceof StoreError) return new StoreError(`${path}: ${err.message}`);
  const code = (err as { code?: string }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return new StoreError(damagedDatabase(path, err));
  return err;
}

/** Checkpoints the WAL into the main file and closes. */
export function closeDatabase(db: Database.Database): void {
  if (!db.open) return;
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}
