// Soak: random file operations on the watched tree, as users and their tools make them.

import { appendFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function makeRng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const MAX_FILES = 1500;
const MAX_DIRS = 120;

/** Random operations on `root`; counts what it did by kind. */
export class Workload {
  counts = {};
  #n = 0;

  constructor(root, rng) {
    this.root = root;
    this.r = rng;
  }

  #pick(arr) {
    return arr[Math.floor(this.r() * arr.length)];
  }

  /** Every directory (root first) and every file, relative to the root. */
  #scan() {
    const dirs = [''];
    const files = [];
    for (let i = 0; i < dirs.length; i++) {
      let names;
      try {
        names = readdirSync(join(this.root, dirs[i]), { withFileTypes: true });
      } catch {
        continue;
      }
      for (const e of names) {
        const rel = dirs[i] ? `${dirs[i]}/${e.name}` : e.name;
        if (e.isDirectory()) dirs.push(rel);
        else files.push(rel);
      }
    }
    return { dirs, files };
  }

  /** Seeds the tree with a few directories and files. */
  seed(dirs = 10, perDir = 20) {
    for (let d = 0; d < dirs; d++) {
      mkdirSync(join(this.root, `d${d}`), { recursive: true });
      for (let f = 0; f < perDir; f++) writeFileSync(join(this.root, `d${d}`, `f${f}.dat`), 'x'.repeat(Math.floor(this.r() * 2000)));
    }
  }

  #count(kind) {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  get total() {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  /** One random operation; failures (a path another op removed) are part of life on a shared tree. */
  step() {
    const { dirs, files } = this.#scan();
    const x = this.r();
    const name = () => `n${++this.#n}_${Math.floor(this.r() * 1e6)}.dat`;
    try {
      if ((x < 0.35 || files.length < 50) && files.length < MAX_FILES) {
        writeFileSync(join(this.root, this.#pick(dirs), name()), 'c'.repeat(Math.floor(this.r() * 4096)));
        this.#count('create');
      } else if (x < 0.45 && files.length > 0) {
        appendFileSync(join(this.root, this.#pick(files)), 'a'.repeat(1 + Math.floor(this.r() * 512)));
        this.#count('append');
      } else if (x < 0.5 && files.length > 0) {
        truncateSync(join(this.root, this.#pick(files)), Math.floor(this.r() * 100));
        this.#count('truncate');
      } else if (x < 0.65 && files.length > 0) {
        unlinkSync(join(this.root, this.#pick(files)));
        this.#count('delete');
      } else if (x < 0.75 && files.length > 0) {
        renameSync(join(this.root, this.#pick(files)), join(this.root, this.#pick(dirs), name()));
        this.#count('rename');
      } else if (x < 0.8 && files.length > 0) {
        // copied with an old mtime (cp -p): R8
        const old = new Date(Date.now() - 86_400_000 * (1 + Math.floor(this.r() * 300)));
        utimesSync(join(this.root, this.#pick(files)), old, old);
        this.#count('old_mtime');
      } else if (x < 0.88 && dirs.length < MAX_DIRS) {
        const parent = this.#pick(dirs);
        if (parent.split('/').length < 4) {
          mkdirSync(join(this.root, parent, `dir${++this.#n}`));
          this.#count('mkdir');
        }
      } else if (x < 0.9 && dirs.length > 5) {
        const d = this.#pick(dirs.slice(1));
        // only small directories go whole, so the tree stays busy
        if (statSync(join(this.root, d)).isDirectory() && readdirSync(join(this.root, d)).length < 15) {
          rmSync(join(this.root, d), { recursive: true, force: true });
          this.#count('rmdir');
        }
      } else if (dirs.length > 2) {
        const d = this.#pick(dirs.slice(1));
        const to = this.#pick(dirs);
        if (!to.startsWith(d)) {
          renameSync(join(this.root, d), join(this.root, to, `moved${++this.#n}`));
          this.#count('move_dir');
        }
      }
    } catch {
      this.#count('raced');
    }
  }
}
