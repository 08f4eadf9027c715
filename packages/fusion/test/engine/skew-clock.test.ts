// Skew clock: bounded O(1) histogram vs. the rescanning implementation it replaced, eviction order across a reload, and persistence.

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DECAY_AT, MAX_BUCKETS, SkewClock } from '../../src/arbitration/skew-clock.js';
import { Harness, T0, up } from './harness.js';
import { seededRandom } from '@fustor/test-helpers';

const better = (b: number, c: number, best: number, bestC: number): boolean =>
  c !== bestC ? c > bestC : Math.abs(b) < Math.abs(best) || (Math.abs(b) === Math.abs(best) && b < best);

/**
 * The implementation this one replaced, kept as the reference model: every eviction scans all buckets for
 * the least-populated one (the first in insertion order on a tie) and rescans for the mode when it evicted it.
 */
class RescanningClock {
  counts = new Map<number, number>();
  mode: number | null = null;
  total = 0;
  sample(now: number, mtime: number): void {
    const b = Math.round((now - mtime) / 1000);
    const c = this.counts.get(b);
    if (c === undefined && this.counts.size >= MAX_BUCKETS) {
      let minB: number | null = null;
      let minC = Infinity;
      for (const [k, v] of this.counts) if (v < minC) [minB, minC] = [k, v];
      this.counts.delete(minB!);
      this.total -= minC;
      if (minB === this.mode) this.recompute();
    }
    const n = (c ?? 0) + 1;
    this.counts.set(b, n);
    this.total++;
    if (this.mode === null || (b !== this.mode && better(b, n, this.mode, this.counts.get(this.mode) ?? 0))) this.mode = b;
    if (this.total >= DECAY_AT) {
      this.total = 0;
      for (const [k, v] of [...this.counts]) {
        const h = Math.floor(v / 2);
        if (h === 0) this.counts.delete(k);
        else {
          this.counts.set(k, h);
          this.total += h;
        }
      }
      this.recompute();
    }
  }
  recompute(): void {
    let best: number | null = null;
    let bestC = 0;
    for (const [b, c] of this.counts) if (best === null || better(b, c, best, bestC)) [best, bestC] = [b, c];
    this.mode = best;
  }
  skewMs(): number {
    return this.mode === null ? 0 : this.mode * 1000;
  }
}

/** Realtime-like mix: most mtimes 2–4 s before receipt, a share spread over ten days (copies, `touch -d`). */
function mixedStream(seed: number, n: number, wideShare: number): [number, number][] {
  const r = seededRandom(seed);
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const now = T0 + i * 3;
    const age = r() < wideShare ? Math.floor(r() * 864_000_000) : 2000 + Math.floor(r() * 2000);
    out.push([now, now - age]);
  }
  return out;
}

describe('skew clock', () => {
  let h: Harness | null = null;
  afterEach(() => {
    h?.close();
    h = null;
  });

  it('wide mtime spread: same watermark as the rescanning implementation after every batch, through evictions and decays', () => {
    // 150k samples: evictions on nearly every wide sample and two decays.
    const stream = mixedStream(7, 150_000, 0.4);
    const fast = new SkewClock();
    const ref = new RescanningClock();
    for (let i = 0; i < stream.length; i++) {
      const [now, mtime] = stream[i]!;
      fast.sample(now, mtime);
      ref.sample(now, mtime);
      if (i % 1000 === 999) expect(fast.skewMs(), `after ${i + 1} samples`).toBe(ref.skewMs());
    }
    expect(fast.skewMs()).toBe(3000);
    expect(fast.counts.size).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(fast.total).toBe([...fast.counts.values()].reduce((a, b) => a + b, 0));
  });

  it('only wide samples: the histogram stays bounded, its mode is a bucket it holds with the highest count', () => {
    const fast = new SkewClock();
    for (const [now, mtime] of mixedStream(11, 20_000, 1)) fast.sample(now, mtime);
    expect(fast.counts.size).toBe(MAX_BUCKETS);
    const max = Math.max(...fast.counts.values());
    expect(fast.counts.get(fast.skewMs() / 1000)).toBe(max);
  });

  it('a histogram persisted and loaded again evicts exactly as the one that stayed in memory', () => {
    const a = new SkewClock();
    const stream = mixedStream(3, 30_000, 0.5);
    for (const [now, mtime] of stream.slice(0, 20_000)) a.sample(now, mtime);
    const b = new SkewClock();
    b.load([...a.entries()]);
    expect(b.skewMs()).toBe(a.skewMs());
    for (const [now, mtime] of stream.slice(20_000)) {
      a.sample(now, mtime);
      b.sample(now, mtime);
    }
    expect([...b.entries()]).toEqual([...a.entries()]);
    expect(b.skewMs()).toBe(a.skewMs());
  });

  it('wide realtime batches: the engine persists the histogram as one row and a restart keeps the watermark', () => {
    h = new Harness({ file: true });
    const stream = mixedStream(5, 6000, 0.5);
    for (let b = 0; b < 6; b++) {
      h.send('realtime', stream.slice(b * 1000, (b + 1) * 1000).map(([now, mtime], i) => up(`/d${b}/f${i}`, h!.phys - (now - mtime))));
    }
    const wm = h.v.watermark();
    expect(wm).toBe(h.phys - 3000);
    h.store.close();
    const db = new Database(h.path, { readonly: true });
    const rows = db.prepare(`SELECT count(*) AS n FROM clock_state`).get() as { n: number };
    db.close();
    expect(rows.n).toBe(1);
    h.store = h.open();
    expect(h.v.watermark()).toBe(wm);
  });

  it('a database written with one row per bucket (before clock_state) loads, and the first commit moves it', () => {
    h = new Harness({ file: true });
    h.send('snapshot', [up('/a', T0 - 10_000_000)]);
    h.store.close();
    const db = new Database(h.path);
    const num = (db.prepare(`SELECT num FROM views WHERE id = 'v'`).get() as { num: number }).num;
    db.prepare(`DELETE FROM clock_state`).run();
    const ins = db.prepare(`INSERT INTO clock_histogram (view, bucket, count) VALUES (?,?,?)`);
    ins.run(num, 7, 40);
    ins.run(num, 3600, 5);
    db.close();
    h.store = h.open();
    expect(h.phys - h.v.watermark()).toBe(7000);
    h.send('realtime', [up('/b', h.phys - 7000)]);
    h.store.close();
    const check = new Database(h.path, { readonly: true });
    const legacy = check.prepare(`SELECT count(*) AS n FROM clock_histogram`).get() as { n: number };
    check.close();
    expect(legacy.n).toBe(0);
    h.store = h.open();
    expect(h.phys - h.v.watermark()).toBe(7000);
  });
});
