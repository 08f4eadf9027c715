// Logical watermark: Fusion's physical clock minus the MODE of the observed (receive - mtime) skew, in seconds.

/** Distinct one-second buckets kept; a new bucket beyond this evicts a least-populated one. */
export const MAX_BUCKETS = 512;
/** When the total sample weight reaches this, every count is halved so the histogram follows recent skew. */
export const DECAY_AT = 65_536;

/**
 * Samples come from realtime upserts of files only: a directory's mtime moves when an entry changes,
 * so it says little about when the event was produced. The mode (not the mean or max) ignores
 * outliers such as `touch -d 2050` files; with no samples the skew is 0.
 *
 * Every sample is O(1), however widely the mtimes are spread: besides `counts`, buckets are grouped
 * by count (each group in the order its buckets reached that count), the smallest count present is
 * tracked, and the mode only changes incrementally (one bucket grows by one per sample). Eviction
 * takes the bucket that has held the smallest count longest, skipping the current mode, so it never
 * forces a rescan; only decay (every DECAY_AT samples) and load rebuild the groups.
 */
export class SkewClock {
  readonly counts = new Map<number, number>();
  /** count -> buckets with that count, in the order they reached it. */
  readonly #byCount = new Map<number, Set<number>>();
  /** Smallest count present (0 when empty). */
  #min = 0;
  #mode: number | null = null;
  #total = 0;
  /** True when the histogram changed since it was last persisted. */
  changed = false;

  /** Adds one sample (sets `changed`). */
  sample(receivedAtMs: number, mtimeMs: number): void {
    const b = Math.round((receivedAtMs - mtimeMs) / 1000);
    if (!Number.isFinite(b)) return;
    const c = this.counts.get(b);
    if (c === undefined) {
      if (this.counts.size >= MAX_BUCKETS) this.#evict();
      this.#group(1).add(b);
      this.#min = 1;
    } else {
      const g = this.#byCount.get(c)!;
      g.delete(b);
      if (g.size === 0) {
        this.#byCount.delete(c);
        if (c === this.#min) this.#min = c + 1;
      }
      this.#group(c + 1).add(b);
    }
    const n = (c ?? 0) + 1;
    this.counts.set(b, n);
    this.#total++;
    this.changed = true;
    const m = this.#mode;
    if (m === null) this.#mode = b;
    else if (b !== m && better(b, n, m, this.counts.get(m)!)) this.#mode = b;
    if (this.#total >= DECAY_AT) this.#decay();
  }

  /** Skew in ms: the mode bucket times 1000, 0 without samples. */
  skewMs(): number {
    return this.#mode === null ? 0 : this.#mode * 1000;
  }

  /** Total sample weight held (after decays). */
  get total(): number {
    return this.#total;
  }

  /** Replaces the histogram (loading from storage). */
  load(entries: Iterable<[number, number]>): void {
    this.counts.clear();
    for (const [b, c] of entries) if (c > 0) this.counts.set(b, c);
    this.#rebuild();
    this.changed = false;
  }

  /**
   * Every (bucket, count), grouped by count and within a group in the order the buckets reached it,
   * so a histogram persisted and loaded again evicts in the same order.
   */
  *entries(): IterableIterator<[number, number]> {
    for (const [c, g] of this.#byCount) for (const b of g) yield [b, c];
  }

  #group(count: number): Set<number> {
    let g = this.#byCount.get(count);
    if (g === undefined) {
      g = new Set();
      this.#byCount.set(count, g);
    }
    return g;
  }

  /** Drops the bucket that has held the smallest count longest (never the mode while another exists). */
  #evict(): void {
    const g = this.#byCount.get(this.#min)!;
    let victim: number | undefined;
    for (const b of g) {
      if (b !== this.#mode) {
        victim = b;
        break;
      }
    }
    // Only reachable with a single bucket in total (MAX_BUCKETS lowered to 1): evicting the mode is unavoidable.
    const recompute = victim === undefined;
    if (recompute) victim = this.#mode!;
    g.delete(victim!);
    if (g.size === 0) this.#byCount.delete(this.#min);
    this.counts.delete(victim!);
    this.#total -= this.#min;
    if (recompute) this.#mode = null;
  }

  #decay(): void {
    for (const [b, c] of this.counts) {
      const h = Math.floor(c / 2);
      if (h === 0) this.counts.delete(b);
      else this.counts.set(b, h);
    }
    this.#rebuild();
  }

  /** Recomputes total, groups, minimum and mode from `counts` (load, decay). */
  #rebuild(): void {
    this.#byCount.clear();
    this.#total = 0;
    this.#min = 0;
    let best: number | null = null;
    let bestC = 0;
    for (const [b, c] of this.counts) {
      this.#total += c;
      this.#group(c).add(b);
      if (this.#min === 0 || c < this.#min) this.#min = c;
      if (best === null || better(b, c, best, bestC)) {
        best = b;
        bestC = c;
      }
    }
    this.#mode = best;
  }
}

/** Highest count wins; ties go to the bucket closest to zero skew, then the lower one (deterministic). */
function better(b: number, c: number, best: number, bestC: number): boolean {
  if (c !== bestC) return c > bestC;
  const ab = Math.abs(b);
  const abest = Math.abs(best);
  return ab < abest || (ab === abest && b < best);
}
