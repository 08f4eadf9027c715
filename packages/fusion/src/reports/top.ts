// Top report (consumers.md §2): the largest, newest or oldest files, or directories by subtree size or newest change, via a bounded heap.

import type { TopItem, TopQuery } from '@fustor/protocol';
import { describe } from '../tree/listing.js';
import { F_DIR } from '../tree/node-table.js';
import { TopK } from '../tree/top-k.js';
import type { TreeIndex } from '../tree/tree-index.js';
import { subtreeSlices } from './subtree-slices.js';

export type TopOptions = Pick<TopQuery, 'by' | 'order' | 'type' | 'limit'>;

/**
 * Ranks the nodes below `scopeId` of the requested type and keeps the best `limit` in a heap (O(n log
 * limit), no sort of the subtree). Keys: a file's size or mtime; a directory's subtree total_size
 * (the aggregate, O(1)) or the newest mtime in it — the latest of its own mtime and every
 * descendant's, so an empty directory ranks by its own. Ties in node-id order (search's default
 * order). A node removed while the scan paused is dropped from the answer, which may then hold fewer
 * than `limit` items.
 */
export async function topReport(ix: TreeIndex, scopeId: number, scopePath: string, o: TopOptions): Promise<TopItem[]> {
  const t = ix.t;
  const heap = new TopK(o.limit);
  const wantDir = o.type === 'dir';
  const sign = o.order === 'desc' ? 1 : -1;
  const dirKey = (d: number): number =>
    o.by === 'size' ? t.dSize[t.dslot[d]!]! : Math.max(t.mtime[d]!, ix.latest(d));
  for await (const { ids, n } of subtreeSlices(ix, scopeId, scopePath)) {
    const flags = t.flags;
    if (wantDir) {
      for (let i = 0; i < n; i++) {
        const id = ids[i]!;
        if (flags[id]! & F_DIR) heap.offer(id, sign * dirKey(id));
      }
    } else {
      const col = o.by === 'size' ? t.size : t.mtime;
      for (let i = 0; i < n; i++) {
        const id = ids[i]!;
        if ((flags[id]! & F_DIR) === 0) heap.offer(id, sign * col[id]!);
      }
    }
  }
  const out: TopItem[] = [];
  for (const { id } of heap.sorted()) {
    // Still the node it was when ranked: live and of the same type (an id freed mid-scan may be recycled).
    if (!t.isLive(id) || t.isDir(id) !== wantDir) continue;
    const item: TopItem = describe(ix, id, t.pathOf(id), false);
    if (wantDir) {
      const a = ix.aggregates(id);
      item.file_count = a.file_count;
      item.dir_count = a.dir_count;
      item.total_size = a.total_size;
      item.latest_mtime_ms = a.latest_mtime === -Infinity ? null : a.latest_mtime;
    }
    out.push(item);
  }
  return out;
}
