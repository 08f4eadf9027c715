// Usage report (consumers.md §2): who fills this directory — files, directories, bytes and newest mtime per owner or group.

import { pageOf, type Page, type UsageItem } from '@fustor/protocol';
import { F_DIR } from '../tree/node-table.js';
import { NO_ID } from '../tree/node-meta.js';
import type { TreeIndex } from '../tree/tree-index.js';
import { subtreeSlices } from './subtree-slices.js';

export interface UsageOptions {
  by: 'owner' | 'group';
  page: number;
  page_size: number;
}

/**
 * One pass over the subtree below `scopeId` grouping by uid (or gid): no per-owner index is kept, so
 * the cost is O(subtree) and the few dozen accumulators live only for the call. Nodes whose owner was
 * never reported form one item with a null id. Directories count in dir_count and latest_mtime_ms
 * (like stats); bytes are the files'. Sorted by total_size descending, ties by id (null last).
 */
export async function usageReport(ix: TreeIndex, scopeId: number, scopePath: string, o: UsageOptions): Promise<Page<UsageItem>> {
  const t = ix.t;
  const slotOf = new Map<number, number>();
  const idOf: number[] = [];
  const files: number[] = [];
  const dirs: number[] = [];
  const bytes: number[] = [];
  const latest: number[] = [];
  let lastKey = -1;
  let slot = -1;
  for await (const { ids, n } of subtreeSlices(ix, scopeId, scopePath)) {
    // Columns are re-read per slice: the table may have grown (new arrays) while the scan paused.
    const col = o.by === 'owner' ? t.uid : t.gid;
    const flags = t.flags;
    const size = t.size;
    const mtime = t.mtime;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      const key = col[id]!;
      if (key !== lastKey) {
        lastKey = key;
        let s = slotOf.get(key);
        if (s === undefined) {
          s = idOf.length;
          slotOf.set(key, s);
          idOf.push(key);
          files.push(0);
          dirs.push(0);
          bytes.push(0);
          latest.push(-Infinity);
        }
        slot = s;
      }
      if (flags[id]! & F_DIR) dirs[slot]++;
      else {
        files[slot]++;
        bytes[slot] += size[id]!;
      }
      const m = mtime[id]!;
      if (m > latest[slot]!) latest[slot] = m;
    }
  }
  const order = idOf.map((_, s) => s).sort((a, b) => bytes[b]! - bytes[a]! || idOf[a]! - idOf[b]!);
  const labels = ix.labels;
  const from = (o.page - 1) * o.page_size;
  const items = order.slice(from, from + o.page_size).map((s): UsageItem => {
    const key = idOf[s]!;
    const id = key === NO_ID ? null : key;
    const name = o.by === 'owner' ? labels.userName(key) : labels.groupName(key);
    const l = latest[s]!;
    const counts = { name, file_count: files[s]!, dir_count: dirs[s]!, total_size: bytes[s]!, latest_mtime_ms: l === -Infinity ? null : l };
    return o.by === 'owner' ? { uid: id, ...counts } : { gid: id, ...counts };
  });
  return pageOf(items, order.length, o.page, o.page_size);
}
