// Glob search over one view: a linear pass over the node columns (base-name patterns) or the subtree with built paths (path patterns).

import { setImmediate as nextTurn } from 'node:timers/promises';
import { isWithin, type Page, type SearchQuery, type TreeNode } from '@fustor/protocol';
import { F_DIR, F_LIVE, NO_NODE, ROOT } from './node-table.js';
import { compileGlob } from './glob.js';
import { describe, joinPath } from './listing.js';
import { nodeFilter } from './node-filter.js';
import { orderedPage } from './search-order.js';
import type { TreeIndex } from './tree-index.js';

/** Nodes visited between two looks at the clock (a generator step). */
const STEP = 1024;
const NO_IDS = new Int32Array(0);
/** How long a search may hold the event loop before it lets ingest and health checks run. */
export const SEARCH_SLICE_MS = 4;

/** searchTree in slices of at most `sliceMs` (0: yield at every step), awaiting the next event-loop turn between them. */
export async function searchTreeAsync(ix: TreeIndex, scope: string, q: SearchQuery, sliceMs = SEARCH_SLICE_MS): Promise<Page<TreeNode> | null> {
  const steps = searchSteps(ix, scope, q);
  let sliceStart = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}

/** The whole search at once (tests, benchmarks, small trees). */
export function searchTree(ix: TreeIndex, scope: string, q: SearchQuery): Page<TreeNode> | null {
  const steps = searchSteps(ix, scope, q);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Matches descendants of `scope` (not `scope` itself). `pattern` is a glob on the base name, or on the
 * whole view path when it contains '/'; `*` matches dot-files too. Filters: type, size in
 * [min_size, max_size], mtime in [modified_after_ms, modified_before_ms), and the metadata filters of
 * node-filter.ts. Without sort_by, results come in node-id order: stable while the tree is unchanged
 * and across restarts (ids are persisted); with it, see search-order.ts. The total is exact. Returns
 * null when `scope` does not exist.
 *
 * Yields every STEP nodes so a caller can let the event loop run. Ingest may then change the tree:
 * ids freed meanwhile (TreeIndex.generation moved) make a subtree walk start over as a column scan
 * (which never follows links), drop the memoized directory paths, drop the matches that died before
 * ranking, and re-check the page's nodes. The total is then exact for the tree as the pass saw it.
 */
function* searchSteps(ix: TreeIndex, scope: string, q: SearchQuery): Generator<void, Page<TreeNode> | null> {
  const gen0 = ix.generation;
  const t = ix.t;
  let scopeId = t.lookup(scope);
  if (scopeId === NO_NODE) return null;
  const byPath = q.pattern.includes('/');
  const match = compileGlob(q.pattern);
  // A path pattern whose last segment is a plain glob: a match needs the base name to match that
  // segment, which is checked before building the path (most nodes are rejected without a string).
  const lastSeg = q.pattern.slice(q.pattern.lastIndexOf('/') + 1);
  const baseRe = byPath && lastSeg !== '' && !lastSeg.includes('**') && !/[{}()]/.test(q.pattern) ? compileGlob(lastSeg) : null;
  const wantType = q.type === 'file' ? 0 : q.type === 'dir' ? F_DIR : -1;
  const minSize = q.min_size ?? -Infinity;
  const maxSize = q.max_size ?? Infinity;
  const after = q.modified_after_ms ?? -Infinity;
  const before = q.modified_before_ms ?? Infinity;
  const flags = t.flags;
  const extra = nodeFilter(ix, q);
  const passes = (id: number): boolean => {
    const f = flags[id]!;
    if (wantType !== -1 && (f & F_DIR) !== wantType) return false;
    const s = t.size[id]!;
    if (s < minSize || s > maxSize) return false;
    const m = t.mtime[id]!;
    return m >= after && m < before && (extra === null || extra(id));
  };

  let ids: Int32Array = NO_IDS;
  let count = 0;
  const paths = byPath ? new Map<number, string>() : null;
  const unfiltered = wantType === -1 && q.min_size == null && q.max_size == null && q.modified_after_ms == null && q.modified_before_ms == null && extra === null;
  const names = t.names;
  const subtree = t.isDir(scopeId) ? t.dFiles[t.dslot[scopeId]!]! + t.dDirs[t.dslot[scopeId]!]! : 0;
  let walked = false;
  if (scopeId !== ROOT && subtree <= t.live / 8) {
    // Small scope: walk its subtree; path patterns need each node's path, built once per directory.
    ids = new Int32Array(Math.max(16, subtree));
    const stack = [scopeId];
    const dirPath = new Map<number, string>([[scopeId, scope]]);
    let work = 0;
    walk: while (stack.length > 0) {
      const d = stack.pop()!;
      const dp = byPath ? dirPath.get(d)! : '';
      for (let c = t.firstChild(d); c !== NO_NODE; c = t.next[c]!) {
        if (++work % STEP === 0) {
          yield;
          if (ix.generation !== gen0) break walk;
        }
        const isDir = (flags[c]! & F_DIR) !== 0;
        let p: string | null = null;
        if (isDir) {
          if (byPath) {
            p = joinPath(dp, names[c]!);
            dirPath.set(c, p);
          }
          stack.push(c);
        }
        if (!passes(c)) continue;
        if (byPath) {
          if (baseRe !== null && !baseRe(names[c]!)) continue;
          p ??= joinPath(dp, names[c]!);
          if (!match(p)) continue;
          paths!.set(c, p);
        } else if (!match(names[c]!)) continue;
        if (count === ids.length) ids = grow(ids);
        ids[count++] = c;
      }
      dirPath.delete(d);
    }
    walked = ix.generation === gen0;
    if (walked) ids = ids.subarray(0, count).sort();
  }
  if (!walked) {
    count = 0;
    paths?.clear();
    scopeId = t.lookup(scope);
    if (scopeId === NO_NODE) return null;
    // Large scope: one pass over the id columns; directory paths (and "is it under the scope") are
    // memoized per directory, so a file costs a flag test, a name match and, rarely, a string.
    ids = new Int32Array(Math.max(16, subtree));
    const memo = new Map<number, string | null>();
    const dirUnder = (d: number): string | null => {
      if (d === scopeId) return scope;
      if (d === ROOT || d === NO_NODE) return null;
      const hit = memo.get(d);
      if (hit !== undefined) return hit;
      const pp = dirUnder(t.parent[d]!);
      const v = pp === null ? null : joinPath(pp, names[d]!);
      memo.set(d, v);
      return v;
    };
    const checkScope = scopeId !== ROOT || byPath;
    let gen = ix.generation;
    for (let id = 1; id < t.hwm; id++) {
      if (id % STEP === 0) {
        yield;
        if (ix.generation !== gen) {
          // directories may have been freed and their ids reused: memoized paths are stale, and
          // the scope may have been re-created under another id (gone: the answer is a 404, as now)
          memo.clear();
          gen = ix.generation;
          scopeId = t.lookup(scope);
          if (scopeId === NO_NODE) return null;
        }
      }
      if ((flags[id]! & F_LIVE) === 0 || (!unfiltered && !passes(id))) continue;
      if (byPath ? baseRe !== null && !baseRe(names[id]!) : !match(names[id]!)) continue;
      if (checkScope) {
        const pp = dirUnder(t.parent[id]!);
        if (pp === null) continue;
        if (byPath) {
          const p = joinPath(pp, names[id]!);
          if (!match(p)) continue;
          paths!.set(id, p);
        }
      }
      if (count === ids.length) ids = grow(ids);
      ids[count++] = id;
    }
  }
  const from = (q.page - 1) * q.page_size;
  const items: TreeNode[] = [];
  // Nodes removed (or their ids reused) after the pass saw them are left out: dead ids before the
  // ranking (which follows parent links), moved ones from the page.
  const moved = ix.generation !== gen0;
  if (moved) {
    let kept = 0;
    for (let k = 0; k < count; k++) if (t.isLive(ids[k]!) && passes(ids[k]!)) ids[kept++] = ids[k]!;
    count = kept;
  }
  const stillMatches = (id: number): boolean => {
    const p = t.pathOf(id);
    return p !== scope && isWithin(p, scope) && match(byPath ? p : names[id]!);
  };
  const known = moved ? null : paths;
  const to = Math.min(count, from + q.page_size);
  const pageIds = q.sort_by === undefined ? ids.subarray(Math.min(from, to), to) : orderedPage(ix, ids, count, q.sort_by, q.sort_order, from, to, known);
  for (const id of pageIds) {
    if (moved && !stillMatches(id)) continue;
    items.push(describe(ix, id, known?.get(id) ?? t.pathOf(id), false));
  }
  return { items, total: count, page: q.page, page_size: q.page_size, pages: Math.max(1, Math.ceil(count / q.page_size)) };
}

function grow(ids: Int32Array): Int32Array {
  const bigger = new Int32Array(ids.length * 2);
  bigger.set(ids);
  return bigger;
}
