// Settle tracker: one non-atomic start per write, one settled report, driven by a fake clock.

import type { Stats } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SettleTracker } from '../src/watch/settle.js';

const stat = (size: number, mtimeMs: number) => ({ size, mtimeMs }) as Stats;

describe('SettleTracker', () => {
  let now = 0;
  let disk = stat(0, 0);
  let settled: [string, number][] = [];
  let tracker: SettleTracker;

  beforeEach(() => {
    vi.useFakeTimers();
    now = 0;
    settled = [];
    tracker = new SettleTracker({
      settleMs: 500,
      mono: () => now,
      lstat: () => disk,
      onSettled: (view, st) => settled.push([view, st.size]),
    });
  });
  afterEach(() => {
    tracker.close();
    vi.useRealTimers();
  });

  const advance = (ms: number) => {
    now += ms;
    vi.advanceTimersByTime(ms);
  };

  it('a write that keeps going: first touch starts it, bumps defer it, one settled report with the final size', () => {
    disk = stat(1, 1);
    expect(tracker.touch('/f', '/x/f', disk)).toBe(true);
    for (let i = 2; i <= 20; i++) {
      advance(100);
      disk = stat(i, i);
      expect(tracker.bump('/f')).toBe(true);
      expect(tracker.has('/f')).toBe(true);
    }
    expect(settled).toEqual([]);
    advance(499);
    expect(settled).toEqual([]);
    advance(2);
    expect(settled).toEqual([['/f', 20]]);
    expect(tracker.has('/f')).toBe(false);
    expect(tracker.bump('/f')).toBe(false); // the next change starts a new write
  });

  it('a change no event reported (stat differs, no bump) postpones the report by a full period', () => {
    disk = stat(1, 1);
    tracker.touch('/f', '/x/f', disk);
    disk = stat(5, 5);
    advance(501);
    expect(settled).toEqual([]);
    advance(500);
    expect(settled).toEqual([['/f', 5]]);
  });

  it('a file deleted while settling is dropped silently (its delete event reports it)', () => {
    disk = stat(1, 1);
    tracker.touch('/f', '/x/f', stat(1, 1));
    tracker.remove('/f');
    advance(1000);
    expect(settled).toEqual([]);
    tracker.touch('/d/a', '/x/d/a', stat(1, 1));
    tracker.touch('/d/b', '/x/d/b', stat(1, 1));
    tracker.touch('/dx', '/x/dx', stat(1, 1));
    tracker.removeUnder('/d');
    advance(1000);
    expect(settled).toEqual([['/dx', 1]]);
  });
});
