// The shared test helpers: waits that return what they waited for and say what they saw, trees as specs, reproducible randomness.

import { EventEmitter } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notYet, onEvent, seededRandom, tempTree, waitFor, WaitTimeoutError } from '../src/index.js';

describe('waitFor', () => {
  it('returns the first truthy value the check produced', async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? { n } : null), 'three checks')).toEqual({ n: 3 });
  });

  it('fails after the deadline naming what it waited for and the last observation', async () => {
    const err = await waitFor(() => notYet('still 0 files'), { what: 'files to appear', timeoutMs: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toMatch(/waiting for files to appear[\s\S]*still 0 files/);
  });

  it('re-checks at once when its signal fires, without waiting for the poll interval', async () => {
    const ev = new EventEmitter();
    let ready = false;
    setTimeout(() => {
      ready = true;
      ev.emit('change');
    }, 5);
    // The poll interval is longer than the deadline: only the signal can make this pass.
    await expect(waitFor(() => ready, { what: 'the change event', timeoutMs: 2_000, intervalMs: 60_000, wake: onEvent(ev, 'change') })).resolves.toBe(true);
    expect(ev.listenerCount('change')).toBe(0);
  });

  it('rethrows a failing check unless told to retry it (all errors, or those a predicate accepts)', async () => {
    await expect(waitFor(() => { throw new Error('boom'); }, { what: 'x', timeoutMs: 50 })).rejects.toThrow('boom');
    let n = 0;
    await expect(waitFor(() => {
      if (++n < 3) throw new Error('not listening yet');
      return 'up';
    }, { what: 'server', retryErrors: true })).resolves.toBe('up');
    const fatal = Object.assign(new Error('crashed'), { fatal: true });
    await expect(waitFor(() => { throw fatal; }, { what: 'y', retryErrors: (e) => !(e as { fatal?: boolean }).fatal })).rejects.toBe(fatal);
  });
});

describe('tempTree', () => {
  it('writes files, directories and mtimes from a spec and removes them on cleanup', () => {
    const t = tempTree({ 'a/b.txt': 'hi', 'empty/': null, 'old.dat': { content: 'x', mtime: new Date(1_000_000_000_000) } });
    expect(readFileSync(join(t.dir, 'a/b.txt'), 'utf8')).toBe('hi');
    expect(statSync(join(t.dir, 'empty')).isDirectory()).toBe(true);
    expect(statSync(join(t.dir, 'old.dat')).mtimeMs).toBe(1_000_000_000_000);
    t.write({ 'later/c.txt': 'c' });
    expect(readFileSync(join(t.dir, 'later/c.txt'), 'utf8')).toBe('c');
    t.cleanup();
    expect(() => statSync(t.dir)).toThrow();
  });
});

describe('seededRandom', () => {
  it('is reproducible from its seed and stays in range', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(43)()).not.toBe(xs[0]);
    const r = seededRandom(1);
    for (let i = 0; i < 200; i++) expect(r.int(5)).toBeLessThan(5);
    expect(['a', 'b']).toContain(r.pick(['a', 'b']));
  });
});
