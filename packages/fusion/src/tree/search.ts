// Glob search over one view: a linear pass over the node columns (base-name patterns) or the subtree with built paths (path patterns).

import type { Page, SearchQuery, TreeNode } from '@fustor/protocol';
import { F_DIR, F_LIVE, NO_NODE, ROOT } from './node-table.js';
import { compileGlob } from './glob.js';
import { describe, joinPath } from './listing.js';
import { nodeFilter } from './node-filter.js';
import { orderedPage } from './search-order.js';
import type { TreeIndex } from './tree-index.js';

/**
 * Matches descendants of `scope` (not `scope` itself). `pattern` is a glob on the base name, or on the
 * whole view path when it contains '/'; `*` matches dot-files too. Filters: type, size in
 * [min_size, max_size], mtime in [modified_after_ms, modified_before_ms), and the metadata filters of
 * node-filter.ts. Without sort_by, results come in node-id order: stable while the tree is unchanged
 * and across restarts (ids are persisted); with it, see search-order.ts. The total is exact. Returns
 * null when `scope` does not exist.
 */
export function searchTree(ix: TreeIndex, scope: string, q: SearchQuery): Page<TreeNode> | null {
  const t = ix.t;
  const scopeId = t.lookup(scope);
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

  let ids: Int32Array;
  let count = 0;
  const paths = byPath ? new Map<number, string>() : null;
  const unfiltered = wantType === -1 && q.min_size == null && q.max_size == null && q.modified_after_ms == null && q.modified_before_ms == null && extra === null;
  const names = t.names;
  const subtree = t.isDir(scopeId) ? t.dFiles[t.dslot[scopeId]!]! + t.dDirs[t.dslot[scopeId]!]! : 0;
  if (scopeId === ROOT || subtree > t.live / 8) {
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
    for (let id = 1; id < t.hwm; id++) {
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
      if (count === ids.length) {
        const bigger = new Int32Array(ids.length * 2);
        bigger.set(ids);
        ids = bigger;
      }
      ids[count++] = id;
    }
  } else {
    // Small scope: walk its subtree; path patterns need each node's path, built once per directory.
    ids = new Int32Array(Math.max(16, subtree));
    const stack = [scopeId];
    const dirPath = new Map<number, string>([[scopeId, scope]]);
    while (stack.length > 0) {
      const d = stack.pop()!;
      const dp = byPath ? dirPath.get(d)! : '';
      for (let c = t.firstChild(d); c !== NO_NODE; c = t.next[c]!) {
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
        ids[count++] = c;
      }
      dirPath.delete(d);
    }
    ids = ids.subarray(0, count).sort();
  }
  const from = (q.page - 1) * q.page_size;
  const items: TreeNode[] = [];
  const to = Math.min(count, from + q.page_size);
  const pageIds = q.sort_by === undefined ? ids.subarray(Math.min(from, to), to) : orderedPage(ix, ids, count, q.sort_by, q.sort_order, from, to, paths);
  for (const id of pageIds) items.push(describe(ix, id, paths?.get(id) ?? t.pathOf(id), false));
  return { items, total: count, page: q.page, page_size: q.page_size, pages: Math.max(1, Math.ceil(count / q.page_size)) };
}
