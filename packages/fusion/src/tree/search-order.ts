// Sorted search pages (sort_by=size|mtime|path): only the requested page is ranked, by k-selection when it lies near the front.

import { compareNames, joinPath } from './listing.js';
import { NO_NODE, ROOT } from './node-table.js';
import { rankedSlice } from './top-k.js';
import type { TreeIndex } from './tree-index.js';

export type SearchSortKey = 'size' | 'mtime' | 'path';

/**
 * The ids at ranks [from, to) of the matches `ids[0..count)`. size and mtime rank by the node's own
 * value (a directory's size is 0), ties in node-id order; path ranks by the whole view path in
 * code-point order, like listings compare names. `paths` (ids whose path is already built, if any)
 * is reused and completed for the returned ids.
 */
export function orderedPage(
  ix: TreeIndex,
  ids: Int32Array,
  count: number,
  by: SearchSortKey,
  order: 'asc' | 'desc',
  from: number,
  to: number,
  paths: Map<number, string> | null,
): number[] {
  const t = ix.t;
  const sign = order === 'desc' ? 1 : -1;
  if (by === 'size') return rankedSlice(ids, count, (id) => sign * t.size[id]!, from, to);
  if (by === 'mtime') return rankedSlice(ids, count, (id) => sign * t.mtime[id]!, from, to);
  // Path order needs every match's path: directory paths are built once and shared by their children.
  const dirPaths = new Map<number, string>([[ROOT, '/']]);
  const dirPath = (d: number): string => {
    let p = dirPaths.get(d);
    if (p === undefined) {
      const up = t.parent[d]!;
      p = up === NO_NODE ? '/' : joinPath(dirPath(up), t.names[d]!);
      dirPaths.set(d, p);
    }
    return p;
  };
  const all: Array<{ id: number; path: string }> = [];
  for (let i = 0; i < count; i++) {
    const id = ids[i]!;
    all.push({ id, path: paths?.get(id) ?? joinPath(dirPath(t.parent[id]!), t.names[id]!) });
  }
  all.sort(order === 'asc' ? (a, b) => compareNames(a.path, b.path) : (a, b) => compareNames(b.path, a.path));
  const page = all.slice(from, Math.min(to, count));
  if (paths !== null) for (const e of page) paths.set(e.id, e.path);
  return page.map((e) => e.id);
}
