// Pid files for the daemons: plain "<pid>\n" (systemd-compatible), stale files detected by probing the process.

import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** True when a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** A daemon that exited but is not yet reaped (its parent is gone) still answers kill(0); on Linux /proc says 'Z'. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/** The pid recorded in the file, or null when the file is missing or unreadable. */
export function readPidFile(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export type PidFileState = { state: 'absent' } | { state: 'stale'; pid: number } | { state: 'running'; pid: number };

export function pidFileState(path: string): PidFileState {
  const pid = readPidFile(path);
  if (pid === null) return { state: 'absent' };
  return isProcessAlive(pid) ? { state: 'running', pid } : { state: 'stale', pid };
}

export class PidFileLockedError extends Error {
  readonly pid: number;
  constructor(name: string, path: string, pid: number) {
    super(`${name} is already running (pid ${pid}, pid file ${path}); stop it first with \`${name} stop\``);
    this.name = 'PidFileLockedError';
    this.pid = pid;
  }
}

/** A lock older than this was left by a process that died while replacing a stale pid file. */
const LOCK_STALE_MS = 10_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Creates `path` holding our pid only if it does not exist (O_EXCL): of two racing starts, one wins. */
function createExclusive(path: string, pid: number): boolean {
  try {
    writeFileSync(path, `${pid}\n`, { mode: 0o644, flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Runs `fn` holding `<path>.lock` (created exclusively), so only one process replaces a stale file. */
function withLock<T>(path: string, fn: () => T): T {
  const lock = `${path}.lock`;
  for (let waited = 0; !createExclusive(lock, process.pid); waited += 20) {
    let age = Infinity;
    try {
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    if (age > LOCK_STALE_MS || waited > 2 * LOCK_STALE_MS) rmSync(lock, { force: true });
    else sleepSync(20);
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Writes our pid, replacing a stale file; refuses when a live process (other than us) holds it.
 * Returns the stale pid that was replaced, if any, so the caller can log it. The file is created
 * with O_EXCL, and a stale one is replaced under a lock, so two `start`s racing cannot both win
 * (checking first and then writing let both write).
 */
export function writePidFile(path: string, name: string, pid = process.pid): number | null {
  mkdirSync(dirname(path), { recursive: true });
  if (createExclusive(path, pid)) return null;
  return withLock(path, () => {
    const st = pidFileState(path);
    if (st.state === 'running' && st.pid !== pid) throw new PidFileLockedError(name, path, st.pid);
    // ours already, stale, or unreadable: under the lock nobody else replaces it meanwhile
    rmSync(path, { force: true });
    if (!createExclusive(path, pid)) {
      const now = pidFileState(path);
      throw new PidFileLockedError(name, path, now.state === 'absent' ? -1 : now.pid);
    }
    return st.state === 'stale' ? st.pid : null;
  });
}

/** Removes the pid file only when it still names `pid` (a successor may have replaced it). */
export function removePidFile(path: string, pid = process.pid): void {
  if (readPidFile(path) === pid) rmSync(path, { force: true });
}
