// Directory-mtime batching: one report per burst, a directory that never rests still reported, driven by a fake clock.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DIR_MAX_DELAY_MS, DIR_QUIET_MS, DirMtimes } from '../src/watch/dir-mtimes.js';

describe('DirMtimes', () => {
  let now = 0;
  let flushed: string[] = [];
  let dirs: DirMtimes;

  beforeEach(() => {
    vi.useFakeTimers();
    now = 0;
    flushed = [];
    dirs = new DirMtimes({ mono: () => now, flush: (view) => flushed.push(view) });
  });
  afterEach(() => {
    dirs.clear();
    vi.useRealTimers();
  });

  const advance = (ms: number) => {
    now += ms;
    vi.advanceTimersByTime(ms);
  };

  it('a burst of changes in one directory is reported once, DIR_QUIET_MS after the last', () => {
    for (let i = 0; i < 1000; i++) dirs.touch('/a', '/x/a');
    dirs.touch('/b', '/x/b');
    advance(DIR_QUIET_MS - 1);
    expect(flushed).toEqual([]);
    dirs.touch('/a', '/x/a'); // /a keeps changing, /b rests
    advance(1);
    expect(flushed).toEqual(['/b']);
    advance(DIR_QUIET_MS);
    expect(flushed).toEqual(['/b', '/a']);
    advance(10 * DIR_MAX_DELAY_MS);
    expect(flushed).toEqual(['/b', '/a']);
  });

  it('a directory that never rests is reported at the latest DIR_MAX_DELAY_MS after its first change', () => {
    const step = DIR_QUIET_MS / 2;
    for (let t = 0; t < DIR_MAX_DELAY_MS + step; t += step) {
      dirs.touch('/busy', '/x/busy');
      advance(step);
    }
    expect(flushed).toEqual(['/busy']);
  });

  it('a removed directory (and what is below it) is not reported', () => {
    dirs.touch('/d', '/x/d');
    dirs.touch('/d/e', '/x/d/e');
    dirs.touch('/dx', '/x/dx');
    dirs.removeUnder('/d');
    advance(DIR_MAX_DELAY_MS);
    expect(flushed).toEqual(['/dx']);
  });
});
