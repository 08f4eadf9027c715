// Worker threads that list a directory and lstat its non-directory entries, so syscalls use both cores.
//
// Why: a scan is dominated by one lstat per file. Sync lstat on the main thread is the cheapest call
// Node offers but leaves the second core idle; per-file fs.promises is 2–15× slower. A worker does
// readdir + lstat for a whole directory with sync calls and returns it in one message (the names
// as one NUL-joined string, the numbers as transferred typed arrays), while the main thread turns
// the previous directory into events.
// Anything unusual (a listing error, a stat error other than ENOENT, an undecodable name) is redone
// on the main thread by the ordinary path, which reports issues and retries EMFILE.

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import {
  fastLstat, K_DIR, K_STAT, K_VANISHED, listDirJob, nativeState, runDirJob, ST_CTIME, ST_GID, ST_MODE, ST_MTIME, ST_SIZE, ST_STRIDE, ST_UID,
  WIRE_MAX_MS, WIRE_MIN_MS,
  type DirJobResult, type LstatNumbers, type NativeState,
} from './dir-job.js';
import { nativeScanPath, nativeScanTrusted } from './native-scan.js';

const requireHere = createRequire(import.meta.url);

// The worker's source: dir-job.ts's constants and job functions, serialized (CommonJS because eval
// workers run as scripts; dependency-free so it loads in a few ms).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const K_DIR = ${K_DIR}, K_STAT = ${K_STAT}, K_VANISHED = ${K_VANISHED};
const ST_STRIDE = ${ST_STRIDE}, ST_SIZE = ${ST_SIZE}, ST_MTIME = ${ST_MTIME}, ST_CTIME = ${ST_CTIME}, ST_UID = ${ST_UID}, ST_GID = ${ST_GID}, ST_MODE = ${ST_MODE};
const WIRE_MIN_MS = ${WIRE_MIN_MS}, WIRE_MAX_MS = ${WIRE_MAX_MS};
${fastLstat.toString()}
${listDirJob.toString()}
${runDirJob.toString()}
${nativeState.toString()}
const native = nativeState(require, workerData.nativePath, workerData.trust);
let fast = null;
let probed = false;
parentPort.on('message', ({ id, dir }) => {
  if (!probed) {
    probed = true;
    fast = fastLstat(fs, dir);
  }
  const r = runDirJob(require, fs, fast, workerData.nativePath, native, dir);
  r.id = id;
  const moved = r.st ? [r.types.buffer, r.st.buffer] : [];
  if (r.rows) moved.push(r.rows.buffer, r.owners.buffer);
  parentPort.postMessage(r, moved);
});
`;

export class StatPool {
  #workers: Worker[] = [];
  #pending = new Map<number, (r: DirJobResult) => void>();
  #nextId = 1;
  #rr = 0;
  #broken = false;
  /** This thread's fast lstat (undefined: not probed yet). */
  #fast: LstatNumbers | null | undefined;
  /** The native directory job (native-scan.ts), null where it is not built or is turned off. */
  readonly #nativePath: string | null;
  readonly #native: NativeState;

  constructor(size: number, nativePath: string | null = nativeScanPath(), trust = nativeScanTrusted()) {
    this.#nativePath = nativePath;
    this.#native = nativeState(requireHere, nativePath, trust);
    for (let i = 0; i < size; i++) {
      let w: Worker;
      try {
        w = new Worker(WORKER_SOURCE, { eval: true, workerData: { nativePath, trust } });
      } catch {
        this.#broken = true;
        break;
      }
      w.unref();
      w.on('message', (m: DirJobResult & { id: number }) => {
        const done = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        done?.(m);
      });
      w.on('error', () => this.#fail());
      w.on('exit', () => this.#fail());
      this.#workers.push(w);
    }
  }

  /** Jobs posted and not yet answered. */
  get pending(): number {
    return this.#pending.size;
  }

  get size(): number {
    return this.#workers.length;
  }

  /** False when no worker could start or one died: callers use the main-thread path. */
  get usable(): boolean {
    return !this.#broken && this.#workers.length > 0;
  }

  /**
   * The same job on this thread, synchronously: for the directory the main thread takes itself
   * instead of waiting for a worker (cheaper than the fs-layer path: no Stats objects, no thread-pool
   * hop for the listing).
   */
  runHere(dir: string): DirJobResult {
    if (this.#fast === undefined) this.#fast = fastLstat(fs, dir);
    return runDirJob(requireHere, fs, this.#fast, this.#nativePath, this.#native, dir);
  }

  /** Whether this thread runs the native job (it has agreed with the JavaScript job on a directory). */
  get nativeHere(): boolean {
    return this.#native.scan !== null;
  }

  /** Lists and stats one directory in a worker; never rejects (redo on any trouble). */
  run(dir: string): Promise<DirJobResult> {
    if (!this.usable) return Promise.resolve({ redo: true });
    const id = this.#nextId++;
    const w = this.#workers[this.#rr++ % this.#workers.length]!;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      w.postMessage({ id, dir });
    });
  }

  async close(): Promise<void> {
    this.#broken = true;
    const ws = this.#workers;
    this.#workers = [];
    this.#flush();
    await Promise.all(ws.map((w) => w.terminate()));
  }

  #fail(): void {
    if (this.#broken) return;
    this.#broken = true;
    this.#flush();
  }

  #flush(): void {
    for (const done of this.#pending.values()) done({ redo: true });
    this.#pending.clear();
  }
}
