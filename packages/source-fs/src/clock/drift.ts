// Storage-clock drift from directory mtimes (docs/source-fs.md, "Time"): no write to the storage.
//
// If the storage's clock runs ahead of ours by D, directories modified in the last moments carry
// mtimes around localNow + D. We take the TOP_K most recent directory mtimes and their 90th
// percentile offset from local now: up to 10% of them may be outliers (a directory touched into
// 2050) without moving the estimate; offsets beyond a day are discarded as deliberate touches.
// A storage clock *behind* ours is invisible this way (recent directories simply look old), so the
// estimate is never negative; Fusion's skew histogram does not depend on it.

export const TOP_K = 50;
export const MIN_DRIFT_MS = 1000;
export const MAX_PLAUSIBLE_DRIFT_MS = 24 * 3600_000;

export interface DriftEstimate {
  driftMs: number;
  sampled: number;
  /** The percentile offset before clamping (ms; negative when recent directories are in the past). */
  p90OffsetMs: number | null;
}

export function estimateDrift(mtimesMs: Iterable<number>, localNowMs: number): DriftEstimate {
  // Keep only the TOP_K largest offsets (a small sorted buffer; the sample may be large).
  const top: number[] = [];
  let sampled = 0;
  for (const m of mtimesMs) {
    const off = m - localNowMs;
    if (!Number.isFinite(off) || off > MAX_PLAUSIBLE_DRIFT_MS) continue;
    sampled++;
    if (top.length < TOP_K) {
      top.push(off);
      if (top.length === TOP_K) top.sort((a, b) => a - b);
    } else if (off > top[0]!) {
      // Replace the smallest and sift it up: the buffer stays sorted ascending.
      let i = 0;
      while (i + 1 < TOP_K && top[i + 1]! < off) {
        top[i] = top[i + 1]!;
        i++;
      }
      top[i] = off;
    }
  }
  if (top.length === 0) return { driftMs: 0, sampled, p90OffsetMs: null };
  top.sort((a, b) => a - b);
  // Nearest-rank 90th percentile of the recent set.
  const p90 = top[Math.min(top.length - 1, Math.ceil(0.9 * top.length) - 1)]!;
  return { driftMs: p90 > MIN_DRIFT_MS ? Math.round(p90) : 0, sampled, p90OffsetMs: p90 };
}
