// Logical watermark: Fusion's physical clock minus the MODE of the observed (receive - mtime) skew, in seconds.

/** Distinct one-second buckets kept; a new bucket beyond this evicts the least-populated one. */
export const MAX_BUCKETS = 512;
/** When the total sample weight reaches this, every count is halved so the histogram follows recent skew. */
export const DECAY_AT = 65_536;

/**
 * Samples come from realtime upserts of files only: a directory's mtime moves when an entry changes,
 * so it says little about when the event was produced. The mode (not the mean or max) ignores
 * outliers such as `touch -d 2050` files; with no samples the skew is 0.
 */
export class SkewClock {
  readonly counts = new Map<number, number>();
  #mode: number | null = null;
  #total = 0;
  /** Buckets changed since the last drain; 'all' after a decay or eviction. */
  touched: Set<number> | 'all' = new Set();

  /** Adds one sample; returns nothing, the change is recorded in `touched`. */
  sample(receivedAtMs: number, mtimeMs: number): void {
    const b = Math.round((receivedAtMs - mtimeMs) / 1000);
    if (!Number.isFinite(b)) return;
    const c = this.counts.get(b);
    if (c === undefined && this.counts.size >= MAX_BUCKETS) this.#evictSmallest();
    const n = (c ?? 0) + 1;
    this.counts.set(b, n);
    this.#total++;
    this.#touch(b);
    if (this.#mode === null) this.#mode = b;
    else if (b !== this.#mode && better(b, n, this.#mode, this.counts.get(this.#mode) ?? 0)) this.#mode = b;
    if (this.#total >= DECAY_AT) this.#decay();
  }

  /** Skew in ms: the mode bucket times 1000, 0 without samples. */
  skewMs(): number {
    return this.#mode === null ? 0 : this.#mode * 1000;
  }

  /** Replaces the histogram (loading from storage). */
  load(entries: Iterable<[number, number]>): void {
    this.counts.clear();
    this.#total = 0;
    for (const [b, c] of entries) {
      if (c > 0) {
        this.counts.set(b, c);
        this.#total += c;
      }
    }
    this.#recomputeMode();
    this.touched = new Set();
  }

  drainTouched(): Set<number> | 'all' {
    const t = this.touched;
    this.touched = new Set();
    return t;
  }

  #touch(b: number): void {
    if (this.touched !== 'all') this.touched.add(b);
  }

  #evictSmallest(): void {
    let minB: number | null = null;
    let minC = Infinity;
    for (const [b, c] of this.counts) {
      if (c < minC) {
        minC = c;
        minB = b;
      }
    }
    if (minB !== null) {
      this.counts.delete(minB);
      this.#total -= minC;
      this.touched = 'all';
      if (minB === this.#mode) this.#recomputeMode();
    }
  }

  #decay(): void {
    this.#total = 0;
    for (const [b, c] of [...this.counts]) {
      const h = Math.floor(c / 2);
      if (h === 0) this.counts.delete(b);
      else {
        this.counts.set(b, h);
        this.#total += h;
      }
    }
    this.touched = 'all';
    this.#recomputeMode();
  }

  #recomputeMode(): void {
    let best: number | null = null;
    let bestC = 0;
    for (const [b, c] of this.counts) {
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
