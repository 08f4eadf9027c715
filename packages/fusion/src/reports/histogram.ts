// Histogram report (consumers.md §2): files of a subtree in log2 bins of size (bytes) or age (seconds before the watermark).

import type { HistogramBin } from '@fustor/protocol';
import { F_DIR } from '../tree/node-table.js';
import type { TreeIndex } from '../tree/tree-index.js';
import { subtreeSlices } from './subtree-slices.js';

export interface HistogramOptions {
  of: 'size' | 'age';
  /** Storage-clock "now" for ages (ms). */
  watermark: number;
}

export interface Histogram {
  bins: HistogramBin[];
  file_count: number;
  total_size: number;
}

/** Regular bins: 0 = [0, 1), then k = [2^(k-1), 2^k); 1 + 64 covers every double below 2^64. */
const BINS = 65;
const TWO32 = 2 ** 32;

/** Bin of a value >= 0: exact at the powers of two (integer bit length, no floating log). */
export function log2Bin(x: number): number {
  if (x < 1) return 0;
  if (x < TWO32) return 32 - Math.clz32(x);
  const hi = Math.floor(x / TWO32);
  if (hi < TWO32) return 64 - Math.clz32(hi);
  return BINS - 1;
}

export function binBounds(k: number): { lo: number; hi: number } {
  return k === 0 ? { lo: 0, hi: 1 } : { lo: 2 ** (k - 1), hi: 2 ** k };
}

/**
 * One pass over the files (non-directories) below `scopeId`. Size bins hold bytes; age bins hold
 * (watermark − mtime) / 1000 seconds. A file whose mtime is after the watermark (clock skew, a
 * future date) has a negative age: all of them share one first bin [lo, 0) whose lo is the most
 * negative age seen, rounded down to a whole second. The regular bins are returned from the first
 * non-empty one to the last non-empty one, empty bins in between included with zero counts, so a
 * chart can draw them as they come. No file: no bins.
 */
export async function histogramReport(ix: TreeIndex, scopeId: number, scopePath: string, o: HistogramOptions): Promise<Histogram> {
  const t = ix.t;
  const count = new Float64Array(BINS);
  const bytes = new Float64Array(BINS);
  let negCount = 0;
  let negBytes = 0;
  let minAge = 0;
  const byAge = o.of === 'age';
  const wm = o.watermark;
  for await (const { ids, n } of subtreeSlices(ix, scopeId, scopePath)) {
    const flags = t.flags;
    const size = t.size;
    const mtime = t.mtime;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (flags[id]! & F_DIR) continue;
      const s = size[id]!;
      if (byAge) {
        const age = (wm - mtime[id]!) / 1000;
        if (age < 0) {
          negCount++;
          negBytes += s;
          if (age < minAge) minAge = age;
          continue;
        }
        const k = log2Bin(age);
        count[k]++;
        bytes[k] += s;
      } else {
        const k = log2Bin(s);
        count[k]++;
        bytes[k] += s;
      }
    }
  }
  const bins: HistogramBin[] = [];
  let files = negCount;
  let total = negBytes;
  if (negCount > 0) bins.push({ lo: Math.floor(minAge), hi: 0, file_count: negCount, total_size: negBytes });
  let first = 0;
  while (first < BINS && count[first] === 0) first++;
  let last = BINS - 1;
  while (last >= first && count[last] === 0) last--;
  for (let k = first; k <= last; k++) {
    bins.push({ ...binBounds(k), file_count: count[k]!, total_size: bytes[k]! });
    files += count[k]!;
    total += bytes[k]!;
  }
  return { bins, file_count: files, total_size: total };
}
