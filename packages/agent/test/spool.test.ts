// Spool: ordered durable FIFO across segments and restarts, bounded size, at-least-once commits.

import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpoolWriteError } from '../src/errors.js';
import { RealtimeQueue, type SpoolLoss } from '../src/spool/realtime-queue.js';
import { nodeSpoolFs, type SpoolFs } from '../src/spool/spool-fs.js';
import { Spool } from '../src/spool/spool.js';
import { upsert } from './helpers/fakes.js';
import { tempTree, type TempTree } from '@fustor/test-helpers';

describe('Spool', () => {
  let tmp: TempTree;
  beforeEach(() => (tmp = tempTree()));
  afterEach(() => tmp.cleanup());

  const open = (maxBytes = 1 << 20, segmentBytes = 512) => new Spool({ dir: join(tmp.dir, 'spool'), maxBytes, segmentBytes, fsync: 'rotate' });

  function drain(s: Spool, n = 7): string[] {
    const out: string[] = [];
    for (;;) {
      const batch = s.peek(n);
      if (batch.length === 0) return out;
      out.push(...batch.map((e) => e.path));
      s.commit(batch.length, s.generation);
    }
  }

  it('replays in append order across many segments and deletes consumed segments', () => {
    const s = open();
    for (let i = 0; i < 100; i++) expect(s.append([upsert(`/f${i}`)])).toBe(true);
    expect(readdirSync(join(tmp.dir, 'spool')).length).toBeGreaterThan(3);
    expect(drain(s)).toEqual(Array.from({ length: 100 }, (_, i) => `/f${i}`));
    expect(s.events).toBe(0);
    expect(s.bytes).toBe(0);
    expect(readdirSync(join(tmp.dir, 'spool'))).toEqual([]);
  });

  it('survives a restart: a new Spool on the same directory replays what was not committed', () => {
    const s = open();
    for (let i = 0; i < 30; i++) s.append([upsert(`/f${i}`)]);
    const first = s.peek(5);
    s.commit(first.length, s.generation);
    s.close();
    const again = open();
    const replay = drain(again);
    // at-least-once: whole segments are replayed, never reordered, never missing
    expect(replay.slice(-25)).toEqual(Array.from({ length: 25 }, (_, i) => `/f${i + 5}`));
    expect(replay[0]).toMatch(/^\/f\d+$/);
  });

  it('regression: a torn last line after a crash is skipped and the counters stay truthful', () => {
    const s = open(1 << 20, 1 << 20);
    s.append([upsert('/a'), upsert('/b')]);
    s.close();
    const [seg] = readdirSync(join(tmp.dir, 'spool'));
    appendFileSync(join(tmp.dir, 'spool', seg!), '{"op":"upsert","pa');
    const again = open(1 << 20, 1 << 20);
    expect(drain(again)).toEqual(['/a', '/b']);
    expect(again.events).toBe(0);
  });

  it('refuses appends over the bound; drop() empties it and stale commits are ignored', () => {
    const s = open(600);
    let accepted = 0;
    while (s.append([upsert(`/x${accepted}`)])) accepted++;
    expect(accepted).toBeGreaterThan(0);
    expect(s.bytes).toBeLessThanOrEqual(600);
    const lease = s.peek(2);
    const gen = s.generation;
    expect(s.drop()).toBe(accepted);
    s.commit(lease.length, gen);
    expect(s.events).toBe(0);
    expect(s.append([upsert('/after')])).toBe(true);
    expect(drain(s)).toEqual(['/after']);
  });
});

describe('RealtimeQueue', () => {
  let tmp: TempTree;
  beforeEach(() => (tmp = tempTree()));
  afterEach(() => tmp.cleanup());

  it('keeps one order across memory, spill to disk, and back', () => {
    const spool = new Spool({ dir: tmp.dir, maxBytes: 1 << 20, segmentBytes: 1024, fsync: 'rotate' });
    const q = new RealtimeQueue({ spool, onLoss: () => undefined });
    q.push([upsert('/m0'), upsert('/m1')], true);
    const lease = q.peek(1)!; // in flight when Fusion goes away
    q.spill();
    q.push([upsert('/d0')], false);
    q.push([upsert('/d1')], true); // spool non-empty: must queue behind it, not jump ahead in memory
    q.commit(lease);
    const out: string[] = [];
    for (let l = q.peek(2); l; l = q.peek(2)) {
      out.push(...l.events.map((e) => e.path));
      q.commit(l);
    }
    expect(out).toEqual(['/m1', '/d0', '/d1']);
    q.push([upsert('/m2')], true);
    expect(spool.events).toBe(0);
    expect(q.peek(5)!.events.map((e) => e.path)).toEqual(['/m2']);
  });

  it('overflow drops everything queued and reports how many events were lost', () => {
    const spool = new Spool({ dir: tmp.dir, maxBytes: 400, segmentBytes: 1024, fsync: 'rotate' });
    let lost = 0;
    const q = new RealtimeQueue({ spool, onLoss: (l) => (lost += l.lostEvents) });
    for (let i = 0; i < 20; i++) q.push([upsert(`/o${i}`)], false);
    expect(lost).toBeGreaterThan(0);
    expect(q.depth + lost).toBe(20);
  });
});

/** The real file calls, with a switch that makes writes (or opens) fail like a full disk. */
function diskThatFills(): SpoolFs & { full: boolean; torn: boolean; failOpen: boolean } {
  const disk = {
    ...nodeSpoolFs,
    full: false,
    /** Writes half the text before failing, like a write cut short by ENOSPC. */
    torn: false,
    failOpen: false,
    writeSync(fd: number, text: string): number {
      if (!disk.full) return nodeSpoolFs.writeSync(fd, text);
      if (disk.torn) nodeSpoolFs.writeSync(fd, text.slice(0, Math.floor(text.length / 2)));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
    openSync(path: string, flags: 'a'): number {
      if (disk.failOpen) throw Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC' });
      return nodeSpoolFs.openSync(path, flags);
    },
  };
  return disk;
}

describe('Spool on a full disk', () => {
  let tmp: TempTree;
  beforeEach(() => (tmp = tempTree()));
  afterEach(() => tmp.cleanup());

  const drainAll = (s: Spool): string[] => {
    const out: string[] = [];
    for (let b = s.peek(5); b.length > 0; b = s.peek(5)) {
      out.push(...b.map((e) => e.path));
      s.commit(b.length, s.generation);
    }
    return out;
  };

  it('a torn write is cut off and reported as SpoolWriteError; the next append after space returns works, in order', () => {
    const disk = diskThatFills();
    const dir = join(tmp.dir, 'spool');
    const s = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 20, fsync: 'rotate', fs: disk });
    expect(s.append([upsert('/a')])).toBe(true);
    disk.full = true;
    disk.torn = true;
    const err = (() => {
      try {
        s.append([upsert('/lost1'), upsert('/lost2')]);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(SpoolWriteError);
    expect((err as SpoolWriteError).errno).toBe('ENOSPC');
    expect((err as SpoolWriteError).message).toMatch(/free space/);
    expect(s.events).toBe(1);
    disk.full = false;
    expect(s.append([upsert('/b')])).toBe(true);
    s.close();
    // What is on disk is exactly what was acknowledged: a restart replays /a, /b and nothing torn.
    const again = new Spool({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 20, fsync: 'rotate' });
    expect(drainAll(again)).toEqual(['/a', '/b']);
  });

  it('a segment that cannot even be created leaves the spool as it was', () => {
    const disk = diskThatFills();
    const s = new Spool({ dir: join(tmp.dir, 'spool'), maxBytes: 1 << 20, segmentBytes: 1, fsync: 'rotate', fs: disk });
    expect(s.append([upsert('/a')])).toBe(true);
    disk.failOpen = true; // segmentBytes 1: the next append needs a new segment
    expect(() => s.append([upsert('/x')])).toThrow(SpoolWriteError);
    disk.failOpen = false;
    expect(s.append([upsert('/b')])).toBe(true);
    expect(drainAll(s)).toEqual(['/a', '/b']);
  });

  it('a spool directory that cannot be created at start does not stop the pipe; it is made by the first append that can', () => {
    let refuse = true;
    const disk: SpoolFs = {
      ...nodeSpoolFs,
      mkdirSync: (p, o) => {
        if (refuse) throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
        return nodeSpoolFs.mkdirSync(p, o);
      },
    };
    const s = new Spool({ dir: join(tmp.dir, 'deep', 'spool'), maxBytes: 1 << 20, segmentBytes: 1 << 20, fsync: 'rotate', fs: disk });
    expect(() => s.append([upsert('/x')])).toThrow(SpoolWriteError);
    refuse = false;
    expect(s.append([upsert('/y')])).toBe(true);
    expect(drainAll(s)).toEqual(['/y']);
  });

  it('RealtimeQueue: a failed write drops the backlog once, reports the first failure, never throws, and says when writes work again', () => {
    const disk = diskThatFills();
    const spool = new Spool({ dir: join(tmp.dir, 'spool'), maxBytes: 1 << 20, segmentBytes: 1 << 20, fsync: 'rotate', fs: disk });
    const losses: SpoolLoss[] = [];
    let writable = 0;
    const q = new RealtimeQueue({ spool, onLoss: (l) => losses.push(l), onWritable: () => writable++ });
    q.push([upsert('/m0'), upsert('/m1')], true); // in memory while online
    const lease = q.peek(2)!;
    disk.full = true;
    expect(() => q.spill()).not.toThrow(); // going offline: this spill once killed the outbox
    expect(losses).toEqual([{ reason: 'write_failed', lostEvents: 2, error: expect.any(SpoolWriteError), first: true }]);
    expect(q.spoolFailing).toBe(true);
    q.push([upsert('/d0')], false);
    expect(losses.map((l) => [l.lostEvents, l.first])).toEqual([[2, true], [1, false]]);
    q.commit(lease); // a lease taken before the loss must not remove anything now
    expect(q.depth).toBe(0);
    disk.full = false;
    q.recheckSpool(); // space is back: a probe write works, before any event needs the spool
    expect(writable).toBe(1);
    expect(q.spoolFailing).toBe(false);
    q.push([upsert('/d1')], false);
    expect(writable).toBe(1);
    expect(q.spoolFailing).toBe(false);
    expect(q.peek(5)!.events.map((e) => e.path)).toEqual(['/d1']);
  });
});
