// Tree mutations that keep every directory's subtree aggregates exact, so stats never walk a subtree.

import {
  F_BLIND,
  F_DIR,
  F_KNOWN,
  F_LATEST_DIRTY,
  F_LIVE,
  F_SUSPECT,
  NO_NODE,
  NodeTable,
  ROOT,
} from './node-table.js';
import { KIND_MASK, kindCode, Labels, withKind, withSource } from './node-meta.js';
import { TouchedSet } from './touched-set.js';

const DIR_KIND = kindCode('dir');

export interface SubtreeAggregates {
  file_count: number;
  dir_count: number;
  total_size: number;
  /** -Infinity when the subtree is empty. */
  latest_mtime: number;
  suspect_count: number;
  blind_count: number;
}

/**
 * Aggregates per directory cover its descendants (not itself). Counts and sizes are updated along the
 * ancestor chain on every change (O(depth)). latest_mtime is a max: raising it is O(depth) too, but a
 * removal or decrease of the current max only marks the affected ancestors dirty; a dirty directory
 * recomputes from its direct children (recursing only into dirty child directories) when read.
 */
export class TreeIndex {
  readonly t: NodeTable;
  /** Node ids whose persisted row changed since the last drain (deleted ids included). */
  readonly touched = new TouchedSet();
  #listCache = new Map<number, Map<string, Int32Array>>();
  /** Owner/group names and agent ids of the view (kept across a reset: they describe the view, not its nodes). */
  labels = new Labels();
  /** Bumped by every removal: ids remembered across events (path hints) are valid only within one generation. */
  generation = 0;

  constructor(table = new NodeTable()) {
    this.t = table;
    if (!table.isLive(ROOT)) this.#createRoot();
  }

  #createRoot(): void {
    const t = this.t;
    const id = t.allocRoot();
    t.parent[id] = NO_NODE;
    t.names[id] = '';
    t.flags[id] = F_LIVE | F_KNOWN;
    t.setKind(id, true);
    t.size[id] = 0;
    t.mtime[id] = 0;
    t.confirmed[id] = 0;
    t.ks[id] = DIR_KIND;
    this.touched.add(id);
  }

  touch(id: number): void {
    this.touched.add(id);
  }

  /** Drops every cached sorted listing of directory `dir`. */
  invalidateListing(dir: number): void {
    if (this.#listCache.size !== 0) this.#listCache.delete(dir);
  }

  listingCache(dir: number): Map<string, Int32Array> {
    let m = this.#listCache.get(dir);
    if (m === undefined) {
      if (this.#listCache.size > 4096) this.#listCache.clear();
      m = new Map();
      this.#listCache.set(dir, m);
    }
    return m;
  }

  /** Creates a node under `parent` (which must be a live directory without a child of that name). */
  createChild(parent: number, name: string, isDir: boolean, size: number, mtime: number, flags: number, confirmed: number): number {
    const t = this.t;
    const id = t.alloc();
    t.parent[id] = parent;
    t.names[id] = name;
    t.flags[id] = (flags & ~(F_DIR | F_LIVE)) | F_LIVE;
    t.dslot[id] = -1;
    if (isDir) {
      t.setKind(id, true);
      // A directory is known to be one even when no metadata came with it (an implied parent).
      t.ks[id] = DIR_KIND;
    }
    t.size[id] = isDir ? 0 : size;
    t.mtime[id] = mtime;
    t.confirmed[id] = confirmed;
    t.link(id);
    this.#propagate(id, 1);
    this.invalidateListing(parent);
    this.touched.add(id);
    return id;
  }

  /**
   * Removes `id` and its subtree. `visit` sees every removed node (pre-order, still linked, so pathOf
   * works) before anything is freed. Returns the number of nodes removed. The root is never removed.
   */
  removeSubtree(id: number, visit?: (id: number) => void): number {
    const t = this.t;
    if (id === ROOT) return 0;
    this.generation++;
    const order: number[] = [];
    const stack = [id];
    while (stack.length > 0) {
      const n = stack.pop()!;
      order.push(n);
      for (let c = t.firstChild(n); c !== NO_NODE; c = t.next[c]!) stack.push(c);
    }
    if (visit !== undefined) for (const n of order) visit(n);
    this.#propagate(id, -1);
    const p = t.parent[id]!;
    t.unlink(id);
    this.invalidateListing(p);
    // Children before parents: unlinking needs the parent's directory slot.
    for (let i = order.length - 1; i >= 1; i--) t.unlink(order[i]!);
    for (let i = order.length - 1; i >= 0; i--) {
      const n = order[i]!;
      if (t.isDir(n)) this.#listCache.delete(n);
      t.release(n);
      this.touched.add(n);
    }
    return order.length;
  }

  /**
   * Sets the metadata an event reported; a field it did not carry (undefined, or kind 0) keeps its value,
   * since absence is not evidence. Returns true when anything changed.
   */
  setMeta(id: number, kind: number, uid: number | undefined, gid: number | undefined, mode: number | undefined, ctime: number | undefined): boolean {
    const t = this.t;
    let changed = false;
    if (kind !== 0 && (t.ks[id]! & KIND_MASK) !== kind) {
      t.ks[id] = withKind(t.ks[id]!, kind);
      changed = true;
    }
    if (uid !== undefined && t.uid[id] !== uid) {
      t.uid[id] = uid;
      changed = true;
    }
    if (gid !== undefined && t.gid[id] !== gid) {
      t.gid[id] = gid;
      changed = true;
    }
    if (mode !== undefined && t.mode[id] !== mode) {
      t.mode[id] = mode;
      changed = true;
    }
    if (ctime !== undefined && !(t.ctime[id] === ctime)) {
      t.ctime[id] = ctime;
      changed = true;
    }
    if (changed) this.touched.add(id);
    return changed;
  }

  /** Records which agent and message source last changed the node (persisted with it). */
  setProvenance(id: number, source: number, agent: number): void {
    const t = this.t;
    const ks = withSource(t.ks[id]!, source);
    if (t.ks[id] === ks && t.agent[id] === agent) return;
    t.ks[id] = ks;
    t.agent[id] = agent;
    this.touched.add(id);
  }

  /** Updates size/mtime of a node in place (directories keep size 0). Returns true when either changed. */
  setAttrs(id: number, size: number, mtime: number): boolean {
    const t = this.t;
    const isDir = t.isDir(id);
    const newSize = isDir ? 0 : size;
    const oldSize = t.size[id]!;
    const oldMtime = t.mtime[id]!;
    if (newSize === oldSize && mtime === oldMtime) return false;
    const p = t.parent[id]!;
    if (newSize !== oldSize) {
      const d = newSize - oldSize;
      for (let a = p; a !== NO_NODE; a = t.parent[a]!) t.dSize[t.dslot[a]!] += d;
      t.size[id] = newSize;
    }
    if (mtime !== oldMtime) {
      t.mtime[id] = mtime;
      if (p !== NO_NODE) {
        const s = t.dslot[id]!;
        const sub = isDir ? t.dLatest[s]! : -Infinity;
        if (mtime < oldMtime && oldMtime > sub) this.#dropLatest(p, oldMtime);
        this.#bumpLatest(p, Math.max(mtime, sub));
      }
    }
    if (p !== NO_NODE) this.invalidateListing(p);
    this.touched.add(id);
    return true;
  }

  /** Sets or clears a flag bit; the suspect and blind-spot bits keep their subtree counts. */
  setFlag(id: number, bit: number, on: boolean): boolean {
    const t = this.t;
    const f = t.flags[id]!;
    const was = (f & bit) !== 0;
    if (was === on) return false;
    t.flags[id] = on ? f | bit : f & ~bit;
    if (bit === F_SUSPECT || bit === F_BLIND) {
      const d = on ? 1 : -1;
      const col = bit === F_SUSPECT ? t.dSuspect : t.dBlind;
      for (let a = t.parent[id]!; a !== NO_NODE; a = t.parent[a]!) col[t.dslot[a]!] += d;
    }
    this.touched.add(id);
    return true;
  }

  setConfirmed(id: number, at: number): void {
    this.t.confirmed[id] = at;
    this.touched.add(id);
  }

  /** Adds (sign 1) or removes (sign -1) node `id` with its whole subtree from its ancestors' aggregates. */
  #propagate(id: number, sign: 1 | -1): void {
    const t = this.t;
    const f = t.flags[id]!;
    const dir = (f & F_DIR) !== 0;
    const s = t.dslot[id]!;
    const files = dir ? t.dFiles[s]! : 1;
    const dirs = dir ? 1 + t.dDirs[s]! : 0;
    const size = dir ? t.dSize[s]! : t.size[id]!;
    const susp = ((f & F_SUSPECT) !== 0 ? 1 : 0) + (dir ? t.dSuspect[s]! : 0);
    const blind = ((f & F_BLIND) !== 0 ? 1 : 0) + (dir ? t.dBlind[s]! : 0);
    const p = t.parent[id]!;
    for (let a = p; a !== NO_NODE; a = t.parent[a]!) {
      const sa = t.dslot[a]!;
      t.dFiles[sa] += sign * files;
      t.dDirs[sa] += sign * dirs;
      t.dSize[sa] += sign * size;
      t.dSuspect[sa] += sign * susp;
      t.dBlind[sa] += sign * blind;
    }
    const latest = dir ? Math.max(t.mtime[id]!, t.dLatest[s]!) : t.mtime[id]!;
    if (sign > 0) this.#bumpLatest(p, latest);
    else this.#dropLatest(p, latest);
  }

  #bumpLatest(from: number, v: number): void {
    const t = this.t;
    for (let a = from; a !== NO_NODE; a = t.parent[a]!) {
      const sa = t.dslot[a]!;
      if (t.dLatest[sa]! >= v) break;
      t.dLatest[sa] = v;
    }
  }

  #dropLatest(from: number, v: number): void {
    if (v === -Infinity) return;
    const t = this.t;
    for (let a = from; a !== NO_NODE; a = t.parent[a]!) {
      if (t.dLatest[t.dslot[a]!]! > v) break;
      t.flags[a] = t.flags[a]! | F_LATEST_DIRTY;
    }
  }

  /** Exact latest mtime of the subtree below directory `dir` (-Infinity when empty). */
  latest(dir: number): number {
    const t = this.t;
    const s = t.dslot[dir]!;
    if ((t.flags[dir]! & F_LATEST_DIRTY) === 0) return t.dLatest[s]!;
    let m = -Infinity;
    for (let c = t.dFirst[s]!; c !== NO_NODE; c = t.next[c]!) {
      let v = t.mtime[c]!;
      if (t.isDir(c)) v = Math.max(v, this.latest(c));
      if (v > m) m = v;
    }
    t.dLatest[s] = m;
    t.flags[dir] = t.flags[dir]! & ~F_LATEST_DIRTY;
    return m;
  }

  aggregates(dir: number): SubtreeAggregates {
    const t = this.t;
    const s = t.dslot[dir]!;
    return {
      file_count: t.dFiles[s]!,
      dir_count: t.dDirs[s]!,
      total_size: t.dSize[s]!,
      latest_mtime: this.latest(dir),
      suspect_count: t.dSuspect[s]!,
      blind_count: t.dBlind[s]!,
    };
  }

  /** Recomputes every aggregate from scratch in one post-order pass (after loading from storage). */
  rebuildAggregates(): void {
    const t = this.t;
    const order: number[] = [];
    const stack = [ROOT];
    while (stack.length > 0) {
      const n = stack.pop()!;
      order.push(n);
      const s = t.dslot[n]!;
      t.dFiles[s] = 0;
      t.dDirs[s] = 0;
      t.dSize[s] = 0;
      t.dSuspect[s] = 0;
      t.dBlind[s] = 0;
      t.dLatest[s] = -Infinity;
      t.flags[n] = t.flags[n]! & ~F_LATEST_DIRTY;
      for (let c = t.dFirst[s]!; c !== NO_NODE; c = t.next[c]!) if (t.isDir(c)) stack.push(c);
    }
    for (let i = order.length - 1; i >= 0; i--) {
      const d = order[i]!;
      const s = t.dslot[d]!;
      let files = 0, dirs = 0, size = 0, susp = 0, blind = 0, latest = -Infinity;
      for (let c = t.dFirst[s]!; c !== NO_NODE; c = t.next[c]!) {
        const f = t.flags[c]!;
        if (f & F_SUSPECT) susp++;
        if (f & F_BLIND) blind++;
        const m = t.mtime[c]!;
        if (m > latest) latest = m;
        if (f & F_DIR) {
          const cs = t.dslot[c]!;
          dirs += 1 + t.dDirs[cs]!;
          files += t.dFiles[cs]!;
          size += t.dSize[cs]!;
          susp += t.dSuspect[cs]!;
          blind += t.dBlind[cs]!;
          if (t.dLatest[cs]! > latest) latest = t.dLatest[cs]!;
        } else {
          files++;
          size += t.size[c]!;
        }
      }
      t.dFiles[s] = files;
      t.dDirs[s] = dirs;
      t.dSize[s] = size;
      t.dSuspect[s] = susp;
      t.dBlind[s] = blind;
      t.dLatest[s] = latest;
    }
  }
}
