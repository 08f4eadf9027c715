// Worker threads that list a directory and lstat its non-directory entries, so syscalls use both cores.
//
// Why: a scan is dominated by one lstat per file. Sync lstat on the main thread is the cheapest call
// Node offers but leaves the second core idle; per-file fs.promises is 2–15× slower. A worker does
// readdir + lstat for a whole directory with sync calls and returns it in one message (the names
// as one NUL-joined string, the numbers as transferred typed arrays), while the main thread turns
// the previous directory into events.
// Anything unusual (a listing error, a stat error other than ENOENT, an undecodable name) is redone
// on the main thread by the ordinary path, which reports issues and retries EMFILE.

import { Worker } from 'node:worker_threads';

/** Entry states in DirJobResult.types: a directory (not stat()ed here), an lstat()ed entry, or gone. */
export const K_DIR = 0;
export const K_STAT = 1;
export const K_VANISHED = 9;

/** Numbers per entry in DirJobResult.st, and their offsets. */
export const ST_STRIDE = 6;
export const ST_SIZE = 0;
export const ST_MTIME = 1;
export const ST_CTIME = 2;
export const ST_UID = 3;
export const ST_GID = 4;
/** The full st_mode: its S_IFMT bits are the kind (meta.ts kindOfMode), the low bits the permissions. */
export const ST_MODE = 5;

export interface DirJobResult {
  /** Entry names joined by NUL (a byte no name can hold): one string clones far cheaper than many. */
  names?: string;
  types?: Uint8Array;
  /**
   * ST_STRIDE numbers per K_STAT entry (size, mtimeMs, ctimeMs, uid, gid, mode): one transferred
   * array instead of an object per file, so the metadata costs copies of numbers, not allocations.
   */
  st?: Float64Array;
  /** Redo on the main thread: listing failed, a stat failed with something else than ENOENT, or a name is lossy. */
  redo?: boolean;
}

// CommonJS because eval workers run as scripts; kept dependency-free so it loads in a few ms.
// The lstat decides what a non-directory entry is (the kind comes from its mode), as on the main thread.
//
// Fast lstat: fs.lstatSync builds a Stats object with four Date objects per file, about a third of
// the worker's user time and most of its garbage (docs/benchmarks.md, P3). Node's own binding fills
// one shared Float64Array instead (the layout lstatSync itself reads: mode 1, uid 3, gid 4, size 8,
// mtime 12/13, ctime 14/15 as seconds/nanoseconds). It is internal, so it is used only where it is
// present and, checked on the worker's first directory, answers exactly what fs.lstatSync answers;
// anything else (a newer Node without it, --throw-deprecation, a different layout) keeps lstatSync.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const W = ${ST_STRIDE};
let fast = null;
let checked = false;
function probeFast(path) {
  checked = true;
  try {
    const b = process.binding('fs');
    if (typeof b.lstat !== 'function') return;
    const v = b.lstat(path, false, undefined, true);
    const s = fs.lstatSync(path);
    if (!(v instanceof Float64Array) || v.length < 16) return;
    const ms = (i) => v[i] * 1e3 + v[i + 1] / 1e6;
    if (v[1] !== s.mode || v[3] !== s.uid || v[4] !== s.gid || v[8] !== s.size || ms(12) !== s.mtimeMs || ms(14) !== s.ctimeMs) return;
    fast = (p) => b.lstat(p, false, undefined, false);
  } catch {
    fast = null;
  }
}
parentPort.on('message', ({ id, dir }) => {
  let ents;
  try {
    ents = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    parentPort.postMessage({ id, redo: true });
    return;
  }
  if (!checked) probeFast(dir);
  const n = ents.length;
  const names = new Array(n);
  const types = new Uint8Array(n);
  const st = new Float64Array(n * W);
  const prefix = dir === '/' ? '/' : dir + '/';
  for (let i = 0; i < n; i++) {
    const d = ents[i];
    const name = d.name;
    names[i] = name;
    if (name.includes('\\uFFFD')) { parentPort.postMessage({ id, redo: true }); return; }
    if (d.isDirectory()) { types[i] = ${K_DIR}; continue; }
    const o = i * W;
    if (fast !== null) {
      let v;
      try {
        v = fast(prefix + name);
      } catch {
        parentPort.postMessage({ id, redo: true });
        return;
      }
      if (v === undefined) { types[i] = ${K_VANISHED}; continue; }
      types[i] = ${K_STAT};
      st[o + ${ST_SIZE}] = v[8];
      st[o + ${ST_MTIME}] = v[12] * 1e3 + v[13] / 1e6;
      st[o + ${ST_CTIME}] = v[14] * 1e3 + v[15] / 1e6;
      st[o + ${ST_UID}] = v[3];
      st[o + ${ST_GID}] = v[4];
      st[o + ${ST_MODE}] = v[1];
      continue;
    }
    let s;
    try {
      s = fs.lstatSync(prefix + name, { throwIfNoEntry: false });
    } catch {
      parentPort.postMessage({ id, redo: true });
      return;
    }
    if (s === undefined) { types[i] = ${K_VANISHED}; continue; }
    types[i] = ${K_STAT};
    st[o + ${ST_SIZE}] = s.size;
    st[o + ${ST_MTIME}] = s.mtimeMs;
    st[o + ${ST_CTIME}] = s.ctimeMs;
    st[o + ${ST_UID}] = s.uid;
    st[o + ${ST_GID}] = s.gid;
    st[o + ${ST_MODE}] = s.mode;
  }
  parentPort.postMessage({ id, names: names.join('\\0'), types, st }, [types.buffer, st.buffer]);
});
`;

export class StatPool {
  #workers: Worker[] = [];
  #pending = new Map<number, (r: DirJobResult) => void>();
  #nextId = 1;
  #rr = 0;
  #broken = false;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      let w: Worker;
      try {
        w = new Worker(WORKER_SOURCE, { eval: true });
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
