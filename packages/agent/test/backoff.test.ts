// Backoff: exponential growth, cap, and jitter bounds (with an injected random source).

import { describe, expect, it } from 'vitest';
import { Backoff, abortableSleep } from '../src/common/backoff.js';

describe('Backoff', () => {
  it('grows exponentially from the base and stops at the cap', () => {
    const b = new Backoff({ baseMs: 500, capMs: 30_000, random: () => 0 });
    const seq = Array.from({ length: 10 }, () => b.next());
    expect(seq).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  });

  it('jitter keeps every delay within [ceiling·(1-jitter), ceiling]', () => {
    for (const r of [0, 0.25, 0.5, 0.999]) {
      const b = new Backoff({ baseMs: 500, capMs: 30_000, jitter: 0.5, random: () => r });
      for (let i = 0; i < 12; i++) {
        const ceil = b.ceiling(i);
        const d = b.next();
        expect(d).toBeLessThanOrEqual(ceil);
        expect(d).toBeGreaterThanOrEqual(Math.floor(ceil * 0.5));
      }
    }
  });

  it('jitter spreads delays with the default random source', () => {
    const values = new Set(Array.from({ length: 20 }, () => new Backoff({ baseMs: 1000 }).next()));
    expect(values.size).toBeGreaterThan(1);
  });

  it('reset starts again from the base', () => {
    const b = new Backoff({ baseMs: 100, random: () => 0 });
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('abortableSleep rejects with AbortError when the signal fires', async () => {
    const ctl = new AbortController();
    const p = abortableSleep(60_000, ctl.signal);
    ctl.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
});
