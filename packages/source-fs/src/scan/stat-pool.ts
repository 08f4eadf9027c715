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

/** Entry kinds in DirJobResult.types. */
export const K_DIR = 0;
export const K_FILE = 1;
export const K_SYMLINK = 2;
export const K_OTHER = 3;
export const K_VANISHED = 9;

export interface DirJobResult {
  /** Entry names joined by NUL (a byte no name can hold): one string clones far cheaper than many. */
  names?: string;
  types?: Uint8Array;
  /** size, mtimeMs per entry (directories: unset). */
  st?: Float64Array;
  /** Redo on the main thread: listing failed, a stat failed with something else than ENOENT, or a name is lossy. */
  redo?: boolean;
}

// CommonJS because eval workers run as scripts; kept dependency-free so it loads in a few ms.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', ({ id, dir }) => {
  let ents;
  try {
    ents = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    parentPort.postMessage({ id, redo: true });
    return;
  }
  const n = ents.length;
  const names = new Array(n);
  const types = new Uint8Array(n);
  const st = new Float64Array(n * 2);
  const prefix = dir === '/' ? '/' : dir + '/';
  for (let i = 0; i < n; i++) {
    const d = ents[i];
    const name = d.name;
    names[i] = name;
    if (name.includes('\\uFFFD')) { parentPort.postMessage({ id, redo: true }); return; }
    if (d.isDirectory()) { types[i] = 0; continue; }
    let t = d.isFile() ? 1 : d.isSymbolicLink() ? 2 : 3;
    let s;
    try {
      s = fs.lstatSync(prefix + name, { throwIfNoEntry: false });
    } catch {
      parentPort.postMessage({ id, redo: true });
      return;
    }
    if (s === undefined) { types[i] = 9; continue; }
    if (t === 3 && s.isDirectory()) t = 0;
    types[i] = t;
    st[2 * i] = s.size;
    st[2 * i + 1] = s.mtimeMs;
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
