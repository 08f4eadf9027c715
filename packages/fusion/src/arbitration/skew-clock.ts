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
 * Every sample is O(1), however widely the mtimes are spread. The mode only changes incrementally (one
 * bucket grows by one per sample). Once the histogram is full (MAX_BUCKETS), buckets are also grouped
 * by count (each group in the order its buckets reached that count) and the smallest count is tracked,
 * so eviction is O(1) too: it takes the bucket that has held the smallest count longest, skipping the
 * current mode, and so never forces a rescan. Below the bound (the usual case: skews cluster in a few
 * buckets) the groups are not kept; decay (every DECAY_AT samples) and load drop or rebuild them.
 */
export class SkewClock {
  readonly counts = new Map<number, number>();
  /** While full: count -> buckets with that count, in the order they reached it; null below the bound. */
  #groups: Map<number, Set<number>> | null = null;
  /** Where the last eviction stopped in the min-count group (see #evict). */
  #evictGroup: Set<number> | null = null;
  #evictIt: IterableIterator<number> | null = null;
  /** While full: the smallest count present. */
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
    if (c === undefined && this.counts.size >= MAX_BUCKETS) this.#evict();
    const n = (c ?? 0) + 1;
    this.counts.set(b, n);
    if (this.#groups !== null) this.#regroup(b, c);
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
   * Every (bucket, count) in eviction order (when full: grouped by count, each group in the order its
   * buckets reached that count), so a histogram persisted and loaded again evicts in the same order.
   */
  *entries(): IterableIterator<[number, number]> {
    if (this.#groups === null) yield* this.counts;
    else for (const [c, g] of this.#groups) for (const b of g) yield [b, c];
  }

  #group(count: number): Set<number> {
    const groups = this.#groups!;
    let g = groups.get(count);
    if (g === undefined) {
      g = new Set();
      groups.set(count, g);
    }
    return g;
  }

  /** Moves bucket `b` from group `was` (undefined: new bucket) to the next count. */
  #regroup(b: number, was: number | undefined): void {
    if (was === undefined) {
      this.#group(1).add(b);
      this.#min = 1;
      return;
    }
    const g = this.#groups!.get(was)!;
    g.delete(b);
    if (g.size === 0) {
      this.#groups!.delete(was);
      if (was === this.#min) this.#min = was + 1;
    }
    this.#group(was + 1).add(b);
  }

  /** Drops the bucket that has held the smallest count longest (never the mode while another exists). */
  #evict(): void {
    if (this.#groups === null) this.#buildGroups();
    const g = this.#groups!.get(this.#min)!;
    // A Set iterator is live (it skips deleted entries, visits later additions), so one kept across
    // evictions walks the group oldest-first without restarting at its front every time. It restarts
    // for another group, after it passed over the mode (which may stop being the mode), or at its end.
    if (this.#evictGroup !== g) {
      this.#evictGroup = g;
      this.#evictIt = g.values();
    }
    let victim: number | undefined;
    let keep = true;
    for (let r = this.#evictIt!.next(); ; r = this.#evictIt!.next()) {
      if (r.done) {
        keep = false;
        for (const b of g) if (b !== this.#mode) victim ??= b;
        break;
      }
      if (r.value !== this.#mode) {
        victim = r.value;
        break;
      }
      keep = false;
    }
    if (!keep) {
      this.#evictGroup = null;
      this.#evictIt = null;
    }
    // Only with a single bucket in all (a bound of 1): evicting the mode is then unavoidable.
    const alone = victim === undefined;
    if (alone) victim = this.#mode!;
    g.delete(victim!);
    if (g.size === 0) this.#groups!.delete(this.#min);
    this.counts.delete(victim!);
    this.#total -= this.#min;
    if (alone) this.#mode = null;
  }

  #buildGroups(): void {
    this.#groups = new Map();
    this.#evictGroup = null;
    this.#evictIt = null;
    this.#min = 0;
    for (const [b, c] of this.counts) {
      this.#group(c).add(b);
      if (this.#min === 0 || c < this.#min) this.#min = c;
    }
  }

  #decay(): void {
    for (const [b, c] of this.counts) {
      const h = Math.floor(c / 2);
      if (h === 0) this.counts.delete(b);
      else this.counts.set(b, h);
    }
    this.#rebuild();
  }

  /** Recomputes total and mode from `counts`, and the groups when full (load, decay). */
  #rebuild(): void {
    this.#total = 0;
    let best: number | null = null;
    let bestC = 0;
    for (const [b, c] of this.counts) {
      this.#total += c;
      if (best === null || better(b, c, best, bestC)) {
        best = b;
        bestC = c;
      }
    }
    this.#mode = best;
    this.#groups = null;
    this.#evictGroup = null;
    this.#evictIt = null;
    if (this.counts.size >= MAX_BUCKETS) this.#buildGroups();
  }
}

/** Highest count wins; ties go to the bucket closest to zero skew, then the lower one (deterministic). */
function better(b: number, c: number, best: number, bestC: number): boolean {
  if (c !== bestC) return c > bestC;
  const ab = Math.abs(b);
  const abest = Math.abs(best);
  return ab < abest || (ab === abest && b < best);
}
