// The nodes of a subtree in slices of bounded size, yielding to the event loop between slices so a report over a million nodes never blocks ingest for long.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { F_DIR, F_LIVE, NO_NODE, ROOT } from '../tree/node-table.js';
import type { TreeIndex } from '../tree/tree-index.js';

/** Ids visited per slice: a few ms of work on this machine kind (see docs/benchmarks.md, P13). Tests lower it to force many slices. */
export const slicing = { nodes: 32_768 };

/** One slice: `ids[0..n)` are live nodes below the scope, valid until the consumer asks for the next slice. */
export interface Slice {
  readonly ids: Int32Array;
  readonly n: number;
}

/**
 * Every node below `scopeId` (not the scope itself; a file scope yields the file). The root, and any
 * subtree holding more than an eighth of the view, is a pass over the id columns (sequential memory);
 * a smaller subtree walks its sibling lists, so the cost is O(subtree), never O(view) for a small one.
 *
 * Between slices the tree may change (ingest runs). A slice is read at one instant, so it never
 * sees a freed node as live; across slices the answer mixes before and after, as `find` does on a
 * changing directory: a node added behind the scan position is missed, one added ahead is seen.
 * Removals bump `ix.generation`: then every id carried across the pause is checked again (still
 * live, still a directory below the scope) and dropped if not; a walk whose current directory lost
 * the child it stood on skips the rest of that directory. If the scope itself is gone the scan ends.
 * A reset swaps the whole index: the scan carries on over the old one, which is no longer changed.
 */
export async function* subtreeSlices(ix: TreeIndex, scopeId: number, scopePath: string, sliceNodes = slicing.nodes): AsyncGenerator<Slice> {
  const t = ix.t;
  const buf = new Int32Array(Math.max(1, sliceNodes));
  if (!t.isDir(scopeId)) {
    buf[0] = scopeId;
    yield { ids: buf, n: 1 };
    return;
  }
  const s = t.dslot[scopeId]!;
  const subtree = t.dFiles[s]! + t.dDirs[s]!;
  if (scopeId === ROOT || subtree > t.live / 8) yield* columnScan(ix, scopeId, scopePath, buf);
  else yield* walk(ix, scopeId, scopePath, buf);
}

/** The scope is still the node at its path (a removal may have freed or recycled its id). */
function scopeHolds(ix: TreeIndex, scopeId: number, scopePath: string): boolean {
  return ix.t.isLive(scopeId) && ix.t.lookup(scopePath) === scopeId;
}

async function* columnScan(ix: TreeIndex, scopeId: number, scopePath: string, buf: Int32Array): AsyncGenerator<Slice> {
  const t = ix.t;
  const all = scopeId === ROOT;
  // Per directory id: 0 unknown, 1 below the scope (or the scope), 2 not. Valid within one generation.
  let under = new Uint8Array(all ? 0 : t.hwm);
  let gen = ix.generation;
  const isUnder = (d: number): boolean => {
    // Iterative: walk up to the first directory whose answer is known, then mark the chain.
    let a = d;
    let verdict = 2;
    while (a !== NO_NODE) {
      if (a >= under.length) {
        const bigger = new Uint8Array(Math.max(t.hwm, a + 1));
        bigger.set(under);
        under = bigger;
      }
      const m = under[a]!;
      if (m !== 0) {
        verdict = m;
        break;
      }
      if (a === scopeId) {
        verdict = 1;
        break;
      }
      if (a === ROOT) break;
      a = t.parent[a]!;
    }
    for (let b = d; b !== a && b !== NO_NODE; b = t.parent[b]!) under[b] = verdict;
    if (a === scopeId) under[a] = 1;
    return verdict === 1;
  };
  let id = 1;
  while (id < t.hwm) {
    if (ix.generation !== gen) {
      if (!scopeHolds(ix, scopeId, scopePath)) return;
      gen = ix.generation;
      under.fill(0);
    }
    const flags = t.flags;
    const parent = t.parent;
    let n = 0;
    const end = Math.min(t.hwm, id + buf.length);
    for (; id < end; id++) {
      if ((flags[id]! & F_LIVE) === 0) continue;
      if (!all) {
        const p = parent[id]!;
        const m = p >= 0 && p < under.length ? under[p]! : 0;
        if (m === 2 || (m === 0 && !isUnder(p))) continue;
      }
      buf[n++] = id;
    }
    if (n > 0) yield { ids: buf, n };
    if (id < t.hwm) await nextTurn();
  }
}

async function* walk(ix: TreeIndex, scopeId: number, scopePath: string, buf: Int32Array): AsyncGenerator<Slice> {
  const t = ix.t;
  const stack: number[] = [scopeId];
  let gen = ix.generation;
  // The directory being listed and the next child to visit in it (NO_NODE: take the next directory).
  let dir = NO_NODE;
  let cur = NO_NODE;
  for (;;) {
    if (ix.generation !== gen) {
      if (!scopeHolds(ix, scopeId, scopePath)) return;
      gen = ix.generation;
      let w = 0;
      for (const d of stack) if (dirBelow(ix, scopeId, d)) stack[w++] = d;
      stack.length = w;
      if (cur !== NO_NODE && !(t.isLive(cur) && t.parent[cur] === dir && dirBelow(ix, scopeId, dir))) cur = NO_NODE;
    }
    const flags = t.flags;
    let n = 0;
    while (n < buf.length) {
      if (cur === NO_NODE) {
        if (stack.length === 0) break;
        dir = stack.pop()!;
        cur = t.firstChild(dir);
        continue;
      }
      buf[n++] = cur;
      if (flags[cur]! & F_DIR) stack.push(cur);
      cur = t.next[cur]!;
    }
    if (n > 0) yield { ids: buf, n };
    if (cur === NO_NODE && stack.length === 0) return;
    await nextTurn();
  }
}

/** `d` is still a live directory at or below the scope (its id may have been freed or recycled). */
function dirBelow(ix: TreeIndex, scopeId: number, d: number): boolean {
  const t = ix.t;
  if (!t.isLive(d) || !t.isDir(d)) return false;
  let a = d;
  while (a !== scopeId && a !== ROOT && a !== NO_NODE) a = t.parent[a]!;
  return a === scopeId;
}
