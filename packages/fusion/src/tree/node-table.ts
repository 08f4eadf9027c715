// Struct-of-arrays storage of one view's nodes: typed arrays indexed by an integer node id, so a file costs bytes, not objects.

import { NO_ID, NO_MODE } from './node-meta.js';

/** Node flag bits (one byte per node). */
export const F_DIR = 1;
export const F_KNOWN = 2;
export const F_AUDIT_SKIPPED = 4;
export const F_SUSPECT = 8;
export const F_BLIND = 16;
export const F_LIVE = 32;
/** Reported by the audit in progress (persisted separately, in audit_seen). */
export const F_SEEN = 64;
/** Directory whose latest-mtime aggregate may be too high and must be recomputed before it is read. */
export const F_LATEST_DIRTY = 128;
/** Bits stored on disk; the rest are derived on load. */
export const PERSISTED_FLAGS = F_DIR | F_KNOWN | F_AUDIT_SKIPPED | F_SUSPECT | F_BLIND | F_LIVE;

export const ROOT = 0;
export const NO_NODE = -1;
/** Capacity up to which the node arrays double (see NodeTable.#grow). */
const GROW_DOUBLING_MAX = 1 << 21;

/** Hash of (parent id, name) for the child index. */
export function childHash(parent: number, name: string): number {
  return childHashAt(parent, name, 0, name.length);
}

/** childHash of the name `s[start, end)`, without making the substring. */
export function childHashAt(parent: number, s: string, start: number, end: number): number {
  let h = Math.imul(parent + 1, 0x9e3779b1) ^ 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/**
 * Per-node columns; per-directory columns (aggregates, first child) indexed by a directory slot so
 * files pay nothing for them. Child lookup is one open hash table over (parent, name) chained through
 * an Int32Array, and children of a directory form a doubly linked sibling list — no Map or object per
 * node, which keeps memory near 100 bytes per file and makes a bulk load a few array passes.
 */
export class NodeTable {
  cap = 0;
  parent = new Int32Array(0);
  flags = new Uint8Array(0);
  size = new Float64Array(0);
  mtime = new Float64Array(0);
  confirmed = new Float64Array(0);
  /** Suspect mark: monotonic expiry and the mtime recorded when set (meaningful while F_SUSPECT is set). */
  sExpiry = new Float64Array(0);
  sMtime = new Float64Array(0);
  /** consumers.md §1, see node-meta.ts: kind + last source in one byte, ids and mode (sentinels = not reported), ctime (NaN = not reported), agent index. */
  ks = new Uint8Array(0);
  uid = new Uint32Array(0);
  gid = new Uint32Array(0);
  mode = new Uint16Array(0);
  ctime = new Float64Array(0);
  agent = new Uint16Array(0);
  /** Directory slot of a directory node, -1 for files. */
  dslot = new Int32Array(0);
  /**
   * The child index's chains, two int32 per node: its (parent, name) hash at 2·id and the next node of
   * its bucket at 2·id+1. Side by side, a lookup's step along a chain is one cache line, not two
   * (a snapshot's millions of lookups miss the cache at every step).
   */
  chain = new Int32Array(0);
  next = new Int32Array(0);
  prev = new Int32Array(0);
  names: string[] = [];
  /** Next never-used id; ids below it are live or on the free list. */
  hwm = 0;
  live = 0;
  #free: number[] = [];
  #buckets = new Int32Array(0);
  #mask = 0;

  dcap = 0;
  dOwner = new Int32Array(0);
  dFirst = new Int32Array(0);
  dCount = new Float64Array(0);
  dFiles = new Float64Array(0);
  dDirs = new Float64Array(0);
  dSize = new Float64Array(0);
  dLatest = new Float64Array(0);
  dSuspect = new Float64Array(0);
  dBlind = new Float64Array(0);
  #dhwm = 0;
  #dfree: number[] = [];

  constructor(initialCap = 1024, initialDirCap = 64) {
    this.#grow(Math.max(16, initialCap));
    this.#growDirs(Math.max(16, initialDirCap));
  }

  /**
   * Node arrays double up to GROW_DOUBLING_MAX nodes, then grow by 1.5x (less slack at 10M nodes); hash
   * buckets stay a power of two. Doubling while small halves the copying a snapshot of an empty view
   * pays as it grows the table from nothing (docs/benchmarks.md, P3).
   */
  #grow(min: number): void {
    let cap = Math.max(this.cap, 16);
    if (cap < min) {
      // One step for the next id; a larger request (reserve, a load's headroom) gets exactly what it asks.
      const step = cap < GROW_DOUBLING_MAX ? cap * 2 : Math.ceil(cap * 1.5);
      cap = Math.max(step, min);
    }
    if (cap === this.cap) return;
    const n = <T extends Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array>(old: T, C: new (n: number) => T): T => {
      const a = new C(cap);
      a.set(old);
      return a;
    };
    const oldCap = this.cap;
    this.parent = n(this.parent, Int32Array);
    this.flags = n(this.flags, Uint8Array);
    this.size = n(this.size, Float64Array);
    this.mtime = n(this.mtime, Float64Array);
    this.confirmed = n(this.confirmed, Float64Array);
    this.sExpiry = n(this.sExpiry, Float64Array);
    this.sMtime = n(this.sMtime, Float64Array);
    this.ks = n(this.ks, Uint8Array);
    this.uid = n(this.uid, Uint32Array);
    this.uid.fill(NO_ID, oldCap);
    this.gid = n(this.gid, Uint32Array);
    this.gid.fill(NO_ID, oldCap);
    this.mode = n(this.mode, Uint16Array);
    this.mode.fill(NO_MODE, oldCap);
    this.ctime = n(this.ctime, Float64Array);
    this.ctime.fill(NaN, oldCap);
    this.agent = n(this.agent, Uint16Array);
    this.dslot = n(this.dslot, Int32Array);
    this.dslot.fill(-1, oldCap);
    const chain = new Int32Array(cap * 2);
    chain.set(this.chain);
    this.chain = chain;
    this.next = n(this.next, Int32Array);
    this.prev = n(this.prev, Int32Array);
    this.cap = cap;
    this.#rehash();
  }

  #growDirs(min: number): void {
    let cap = Math.max(this.dcap, 16);
    while (cap < min) cap *= 2;
    if (cap === this.dcap) return;
    const n = <T extends Int32Array | Float64Array>(old: T, C: new (n: number) => T): T => {
      const a = new C(cap);
      a.set(old);
      return a;
    };
    this.dOwner = n(this.dOwner, Int32Array);
    this.dFirst = n(this.dFirst, Int32Array);
    this.dCount = n(this.dCount, Float64Array);
    this.dFiles = n(this.dFiles, Float64Array);
    this.dDirs = n(this.dDirs, Float64Array);
    this.dSize = n(this.dSize, Float64Array);
    this.dLatest = n(this.dLatest, Float64Array);
    this.dSuspect = n(this.dSuspect, Float64Array);
    this.dBlind = n(this.dBlind, Float64Array);
    this.dcap = cap;
  }

  /** Buckets: a power of two >= half the node capacity (chains of ~2 at most on average); every linked node is re-inserted. */
  #rehash(): void {
    let n = 16;
    while (n * 2 < this.cap) n *= 2;
    if (n === this.#buckets.length) return;
    this.#buckets = new Int32Array(n).fill(NO_NODE);
    this.#mask = n - 1;
    const f = this.flags;
    for (let id = 1; id < this.hwm; id++) {
      if ((f[id]! & F_LIVE) === 0 || this.parent[id] === NO_NODE) continue;
      const b = this.chain[2 * id]! & this.#mask;
      this.chain[2 * id + 1] = this.#buckets[b]!;
      this.#buckets[b] = id;
    }
  }

  /** Capacity for a bulk load, so arrays are allocated once. */
  reserve(nodes: number, dirs: number): void {
    this.#grow(nodes);
    this.#growDirs(dirs);
  }

  isLive(id: number): boolean {
    return id >= 0 && id < this.hwm && (this.flags[id]! & F_LIVE) !== 0;
  }

  isDir(id: number): boolean {
    return (this.flags[id]! & F_DIR) !== 0;
  }

  /** Takes a recycled or fresh id (not linked yet). */
  alloc(): number {
    let id: number;
    if (this.#free.length > 0) id = this.#free.pop()!;
    else {
      id = this.hwm++;
      if (id >= this.cap) this.#grow(id + 1);
    }
    this.live++;
    return id;
  }

  /** Allocates the root at id 0 (a fresh table). */
  allocRoot(): number {
    if (this.hwm === 0) this.hwm = 1;
    this.live++;
    return ROOT;
  }

  /** Turns a node into a directory (allocating its slot) or a file (releasing it). */
  setKind(id: number, dir: boolean): void {
    const has = this.dslot[id]! >= 0;
    if (dir) {
      this.flags[id] = this.flags[id]! | F_DIR;
      if (has) return;
      let s: number;
      if (this.#dfree.length > 0) s = this.#dfree.pop()!;
      else {
        s = this.#dhwm++;
        if (s >= this.dcap) this.#growDirs(s + 1);
      }
      this.dslot[id] = s;
      this.dOwner[s] = id;
      this.dFirst[s] = NO_NODE;
      this.dCount[s] = 0;
      this.dFiles[s] = 0;
      this.dDirs[s] = 0;
      this.dSize[s] = 0;
      this.dLatest[s] = -Infinity;
      this.dSuspect[s] = 0;
      this.dBlind[s] = 0;
    } else {
      this.flags[id] = this.flags[id]! & ~(F_DIR | F_AUDIT_SKIPPED | F_LATEST_DIRTY);
      if (has) this.#releaseSlot(this.dslot[id]!);
      this.dslot[id] = -1;
    }
  }

  #releaseSlot(s: number): void {
    this.dOwner[s] = NO_NODE;
    this.#dfree.push(s);
  }

  /** Inserts `id` (parent and name set) into the child index and its parent's sibling list. */
  link(id: number): void {
    const p = this.parent[id]!;
    const h = childHash(p, this.names[id]!);
    this.chain[2 * id] = h;
    const b = h & this.#mask;
    this.chain[2 * id + 1] = this.#buckets[b]!;
    this.#buckets[b] = id;
    const s = this.dslot[p]!;
    const first = this.dFirst[s]!;
    this.next[id] = first;
    this.prev[id] = NO_NODE;
    if (first !== NO_NODE) this.prev[first] = id;
    this.dFirst[s] = id;
    this.dCount[s] = this.dCount[s]! + 1;
  }

  /** Removes `id` from the child index and its parent's sibling list. */
  unlink(id: number): void {
    const ch = this.chain;
    const b = ch[2 * id]! & this.#mask;
    let c = this.#buckets[b]!;
    if (c === id) this.#buckets[b] = ch[2 * id + 1]!;
    else {
      while (c !== NO_NODE && ch[2 * c + 1] !== id) c = ch[2 * c + 1]!;
      if (c !== NO_NODE) ch[2 * c + 1] = ch[2 * id + 1]!;
    }
    const s = this.dslot[this.parent[id]!]!;
    const nx = this.next[id]!;
    const pv = this.prev[id]!;
    if (pv === NO_NODE) this.dFirst[s] = nx;
    else this.next[pv] = nx;
    if (nx !== NO_NODE) this.prev[nx] = pv;
    this.dCount[s] = this.dCount[s]! - 1;
  }

  /** Returns an id to the free list; the caller has already unlinked it. */
  release(id: number): void {
    const s = this.dslot[id]!;
    if (s >= 0) this.#releaseSlot(s);
    this.dslot[id] = -1;
    this.flags[id] = 0;
    this.parent[id] = NO_NODE;
    this.names[id] = '';
    this.size[id] = 0;
    this.mtime[id] = 0;
    this.confirmed[id] = 0;
    this.sExpiry[id] = 0;
    this.sMtime[id] = 0;
    this.clearMeta(id);
    this.#free.push(id);
    this.live--;
  }

  /**
   * After the columns of ids [0, hwm) were filled directly (bulk load): allocates directory slots,
   * counts live nodes, builds the free list, and links every live node whose parent is a live
   * directory. Returns the ids that could not be linked (their parent is missing).
   */
  finishBulkLoad(hwm: number): number[] {
    this.hwm = hwm;
    const f = this.flags;
    this.live = 0;
    this.#free = [];
    this.dslot.fill(-1, 0, hwm);
    for (let id = 0; id < hwm; id++) {
      if ((f[id]! & F_LIVE) === 0) continue;
      this.live++;
      if (f[id]! & F_DIR) {
        f[id] = f[id]! & ~F_DIR;
        this.setKind(id, true);
      }
    }
    this.#buckets.fill(NO_NODE);
    const orphans: number[] = [];
    for (let id = 1; id < hwm; id++) {
      if ((f[id]! & F_LIVE) === 0) continue;
      const p = this.parent[id]!;
      if (p < 0 || p >= hwm || (f[p]! & (F_LIVE | F_DIR)) !== (F_LIVE | F_DIR)) orphans.push(id);
      else this.link(id);
    }
    for (let id = hwm - 1; id >= 0; id--) if ((f[id]! & F_LIVE) === 0) this.#free.push(id);
    return orphans;
  }

  /** Metadata and provenance back to "not reported". */
  clearMeta(id: number): void {
    this.ks[id] = 0;
    this.uid[id] = NO_ID;
    this.gid[id] = NO_ID;
    this.mode[id] = NO_MODE;
    this.ctime[id] = NaN;
    this.agent[id] = 0;
  }

  firstChild(dir: number): number {
    const s = this.dslot[dir]!;
    return s >= 0 ? this.dFirst[s]! : NO_NODE;
  }

  childCount(dir: number): number {
    const s = this.dslot[dir]!;
    return s >= 0 ? this.dCount[s]! : 0;
  }

  /** Child ids of a directory (a snapshot: safe to mutate the tree while iterating it). */
  childIds(dir: number): number[] {
    const out: number[] = [];
    for (let c = this.firstChild(dir); c !== NO_NODE; c = this.next[c]!) out.push(c);
    return out;
  }

  child(dirId: number, name: string): number {
    return this.childAt(dirId, name, 0, name.length);
  }

  /** Child of `dirId` named `s[start, end)`; the hot path of every lookup, so it makes no substring. */
  childAt(dirId: number, s: string, start: number, end: number): number {
    if (this.dslot[dirId]! < 0) return NO_NODE;
    const h = childHashAt(dirId, s, start, end);
    const len = end - start;
    const ch = this.chain;
    const hi = h | 0; // stored as int32
    for (let c = this.#buckets[h & this.#mask]!; c !== NO_NODE; c = ch[2 * c + 1]!) {
      if (ch[2 * c] === hi && this.parent[c] === dirId) {
        const name = this.names[c]!;
        if (name.length === len && s.startsWith(name, start)) return c;
      }
    }
    return NO_NODE;
  }

  /** Node id of a view path, or -1. */
  lookup(path: string): number {
    const id = this.lookupPrefix(path);
    return this.prefixEnd === path.length ? id : NO_NODE;
  }

  /** Set by lookupPrefix: the index in the path just past the deepest node found (its name's end). */
  prefixEnd = 0;

  /**
   * Deepest existing node along `path` (the root at least); `prefixEnd` tells how much of the path it
   * covers (path.length: all of it). The walk stops at a file, since a file has no children.
   */
  lookupPrefix(path: string): number {
    let id = ROOT;
    if (path === '/') {
      this.prefixEnd = 1;
      return ROOT;
    }
    this.prefixEnd = 0;
    let start = 1;
    const n = path.length;
    for (let i = 1; i <= n; i++) {
      if (i === n || path.charCodeAt(i) === 47) {
        const c = this.childAt(id, path, start, i);
        if (c === NO_NODE) return id;
        id = c;
        this.prefixEnd = i;
        start = i + 1;
      }
    }
    return id;
  }

  pathOf(id: number): string {
    if (id === ROOT) return '/';
    const parts: string[] = [];
    for (let n = id; n !== ROOT && n !== NO_NODE; n = this.parent[n]!) parts.push(this.names[n]!);
    parts.reverse();
    return '/' + parts.join('/');
  }
}
