// Realtime watcher on real directories: mapping, settle pair, renames, coverage, scan-only mode.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileEvent } from '@fustor/source-fs';
import { collect, harness, makeTree, secondsAgo, tempDir, waitFor } from './helpers.js';

const has = (evs: FileEvent[], op: string, path: string, extra: (e: FileEvent) => boolean = () => true) =>
  evs.some((e) => e.op === op && e.path === path && extra(e));

describe('realtime', () => {
  it('maps add/change/unlink/addDir/unlinkDir to upserts and deletes stamped with now()', async () => {
    const root = tempDir();
    makeTree(root, { 'a/old.dat': '1' });
    const { src, realtime } = harness({ root, writeSettleMs: 0 });
    await src.start();
    const t0 = src.now();
    fs.writeFileSync(join(root, 'a/new.dat'), 'abc');
    await waitFor(() => has(realtime, 'upsert', '/a/new.dat'), 'add');
    const add = realtime.find((e) => e.path === '/a/new.dat')!;
    expect(add).toMatchObject({ is_dir: false, size: 3, is_atomic_write: true });
    expect(add.observed_at_ms!).toBeGreaterThanOrEqual(t0);
    fs.mkdirSync(join(root, 'a/sub'));
    await waitFor(() => has(realtime, 'upsert', '/a/sub', (e) => e.op === 'upsert' && e.is_dir), 'addDir');
    // The new directory is watched at once.
    fs.writeFileSync(join(root, 'a/sub/inner.dat'), 'x');
    await waitFor(() => has(realtime, 'upsert', '/a/sub/inner.dat'), 'add in new dir');
    fs.unlinkSync(join(root, 'a/old.dat'));
    await waitFor(() => has(realtime, 'delete', '/a/old.dat'), 'unlink');
    fs.rmSync(join(root, 'a/sub'), { recursive: true });
    await waitFor(() => has(realtime, 'delete', '/a/sub', (e) => e.is_dir === true), 'unlinkDir');
    expect(src.coverage()).toMatchObject({ canRealtime: true });
  });

  it('regression: files created inside a brand-new directory before its watch exists are still reported', async () => {
    const root = tempDir();
    const { src, realtime } = harness({ root, writeSettleMs: 0 });
    await src.start();
    fs.mkdirSync(join(root, 'x/y/z'), { recursive: true });
    fs.writeFileSync(join(root, 'x/y/z/deep.dat'), 'd');
    await waitFor(() => has(realtime, 'upsert', '/x/y/z/deep.dat'), 'deep file');
    expect(has(realtime, 'upsert', '/x/y')).toBe(true);
  });

  it('a rename comes out as delete + upsert', async () => {
    const root = tempDir();
    makeTree(root, { 'a/f.dat': '12', 'b/': '' });
    const { src, realtime } = harness({ root, writeSettleMs: 0 });
    await src.start();
    fs.renameSync(join(root, 'a/f.dat'), join(root, 'b/g.dat'));
    await waitFor(() => has(realtime, 'delete', '/a/f.dat') && has(realtime, 'upsert', '/b/g.dat'), 'rename');
    expect(realtime.find((e) => e.path === '/b/g.dat')).toMatchObject({ size: 2 });
  });

  it('a file appended to for 3 s: exactly one non-atomic event, then one atomic after write_settle_ms', async () => {
    const root = tempDir();
    const { src, realtime } = harness({ root, writeSettleMs: 500 });
    await src.start();
    const p = join(root, 'growing.log');
    const fd = fs.openSync(p, 'a');
    const until = Date.now() + 3000;
    await new Promise<void>((resolve) => {
      const tick = () => {
        fs.writeSync(fd, 'line\n');
        if (Date.now() < until) setTimeout(tick, 50);
        else resolve();
      };
      tick();
    });
    fs.closeSync(fd);
    const finalSize = fs.statSync(p).size;
    // While writing, the snapshot leaves it to the watcher; we stopped, so wait for the atomic report.
    await waitFor(() => realtime.some((e) => e.path === '/growing.log' && e.op === 'upsert' && e.is_atomic_write), 'settle');
    const mine = realtime.filter((e) => e.path === '/growing.log');
    expect(mine.map((e) => e.op === 'upsert' && e.is_atomic_write)).toEqual([false, true]);
    expect(mine[1]).toMatchObject({ size: finalSize });
  });

  it('the snapshot skips a file the watcher sees being written', async () => {
    const root = tempDir();
    makeTree(root, { 'stable.dat': 's' });
    const { src, realtime } = harness({ root, writeSettleMs: 5000 });
    await src.start();
    fs.writeFileSync(join(root, 'busy.dat'), 'partial');
    await waitFor(() => has(realtime, 'upsert', '/busy.dat'), 'first sighting');
    const snap = await collect(src.snapshot());
    expect(snap.some((e) => e.path === '/busy.dat')).toBe(false);
    expect(snap.some((e) => e.path === '/stable.dat')).toBe(true);
  });

  it('max_watched_dirs: watches the most recently modified directories and says coverage is incomplete', async () => {
    const root = tempDir();
    makeTree(root, { 'old1/': '', 'old2/': '', 'recent/': '' });
    for (const d of ['old1', 'old2']) fs.utimesSync(join(root, d), secondsAgo(3600), secondsAgo(3600));
    fs.utimesSync(root, secondsAgo(60), secondsAgo(60));
    const coverage: boolean[] = [];
    const { src, realtime } = harness({ root, writeSettleMs: 0, maxWatchedDirs: 2, events: { coverage: (c) => coverage.push(c.canRealtime) } });
    await src.start();
    expect(src.coverage()).toEqual({ watchedDirs: 2, knownDirs: 4, canRealtime: false });
    expect(coverage.at(-1)).toBe(false);
    fs.writeFileSync(join(root, 'old1/unseen.dat'), 'x');
    fs.writeFileSync(join(root, 'recent/seen.dat'), 'x');
    await waitFor(() => has(realtime, 'upsert', '/recent/seen.dat'), 'watched dir event');
    expect(has(realtime, 'upsert', '/old1/unseen.dat')).toBe(false);
  });

  it('realtime:false is scan-only: no watcher, can_realtime false, scans still work', async () => {
    const root = tempDir();
    makeTree(root, { 'f': '1' });
    const { src, realtime } = harness({ root, realtime: false });
    await src.start();
    expect(src.coverage()).toEqual({ watchedDirs: 0, knownDirs: 0, canRealtime: false });
    fs.writeFileSync(join(root, 'g'), '2');
    expect((await collect(src.snapshot())).map((e) => e.path).sort()).toEqual(['/', '/f', '/g']);
    expect(realtime).toEqual([]);
  });

  it('coalesces a burst into few deliveries and keeps only the latest upsert of a path', async () => {
    const root = tempDir();
    const batches: FileEvent[][] = [];
    const { src } = harness({ root, writeSettleMs: 0, coalesceMs: 200 });
    src.onRealtime((b) => batches.push(b));
    await src.start();
    for (let i = 0; i < 50; i++) fs.writeFileSync(join(root, `f${i}`), 'x');
    await waitFor(() => batches.flat().filter((e) => e.op === 'upsert').length >= 50, 'burst');
    expect(batches.length).toBeLessThan(25);
    const paths = batches.flat().map((e) => e.path);
    expect(new Set(paths).size).toBe(50);
  });
});
