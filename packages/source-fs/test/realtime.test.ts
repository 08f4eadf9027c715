// Realtime on real directories, run against both backends (native inotify and chokidar): mapping,
// settle pair, renames, coverage, scan-only mode. Native-only mechanics are in realtime-native.test.ts.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SourceOptionsError, WATCHER_KINDS, createFsSource, type FileEvent, type FsSourceOptions } from '@fustor/source-fs';
import { collect, harness as baseHarness, has, makeTree, tempDir, waitFor } from './helpers.js';

describe.each(WATCHER_KINDS)('realtime (%s backend)', (watcher) => {
  const harness = (o: FsSourceOptions) => baseHarness({ ...o, watcher });

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
    await waitFor(() => batches.flat().filter((e) => e.op === 'upsert' && e.path !== '/').length >= 50, 'burst');
    expect(batches.length).toBeLessThan(25);
    // The root's own mtime report (a directory upsert, once the burst is over) is not part of the burst.
    const paths = batches.flat().filter((e) => e.path !== '/').map((e) => e.path);
    expect(new Set(paths).size).toBe(50);
  });

  it('regression: deleting a child named like its parent directory is reported (not taken for the directory itself)', async () => {
    const root = tempDir();
    makeTree(root, { 'photos/photos': 'x', 'photos/other': 'y' });
    const { src, realtime } = harness({ root, writeSettleMs: 0 });
    await src.start();
    fs.unlinkSync(join(root, 'photos/photos'));
    await waitFor(() => has(realtime, 'delete', '/photos/photos'), 'delete of /photos/photos');
    fs.rmSync(join(root, 'photos'), { recursive: true });
    await waitFor(() => has(realtime, 'delete', '/photos', (e) => e.is_dir === true), 'directory delete');
    // The directory's own disappearance is never reported as a child '/photos/photos' twice.
    expect(realtime.filter((e) => e.path === '/photos/photos')).toHaveLength(1);
  });

  it('a directory moved out of the root is deleted and its old watches no longer report', async () => {
    const root = tempDir();
    const outside = tempDir();
    makeTree(root, { 'a/b/f': '1', 'stay/': '' });
    const { src, realtime } = harness({ root, writeSettleMs: 0 });
    await src.start();
    expect(src.coverage()).toMatchObject({ watchedDirs: 4, canRealtime: true });
    fs.renameSync(join(root, 'a'), join(outside, 'a'));
    await waitFor(() => has(realtime, 'delete', '/a', (e) => e.is_dir === true), 'move-out delete');
    await waitFor(() => src.coverage().watchedDirs === 2, 'watches of the moved tree closed');
    fs.writeFileSync(join(outside, 'a/b/later'), 'x');
    fs.writeFileSync(join(root, 'stay/marker'), 'x');
    await waitFor(() => has(realtime, 'upsert', '/stay/marker'), 'marker');
    expect(realtime.some((e) => e.path.startsWith('/a/'))).toBe(false);
    expect(src.coverage()).toMatchObject({ watchedDirs: 2, knownDirs: 2, canRealtime: true });
  });

  it('removing the watched root is reported as a root_lost issue, not as a delete event, and coverage turns false', async () => {
    const parent = tempDir();
    const root = join(parent, 'watched');
    makeTree(root, { 'f': '1' });
    const { src, issues, realtime } = harness({ root, writeSettleMs: 0 });
    await src.start();
    fs.rmSync(root, { recursive: true });
    await waitFor(() => issues.some((i) => i.kind === 'root_lost' && i.path === root), 'root_lost issue');
    expect(src.coverage().canRealtime).toBe(false);
    expect(realtime.filter((e) => e.op === 'delete').map((e) => e.path)).toEqual(['/f']);
  });
});

describe('realtime backend choice (driver_params.watcher)', () => {
  it('an unknown backend is refused before anything starts, naming the choices', () => {
    expect(() => createFsSource({ root: tempDir(), watcher: 'inotify' as never })).toThrow(SourceOptionsError);
    expect(() => createFsSource({ root: tempDir(), watcher: 'polling' as never })).toThrow(/watcher' must be one of 'native', 'chokidar'/);
  });

  it.runIf(process.platform === 'linux')('the Linux default is the native backend (it keeps to the watch budget; chokidar watches everything)', async () => {
    const root = tempDir();
    makeTree(root, { 'a/': '', 'b/': '' });
    const native = baseHarness({ root, maxWatchedDirs: 1 });
    await native.src.start();
    expect(native.src.coverage()).toMatchObject({ watchedDirs: 1, knownDirs: 3, canRealtime: false });
    const chokidar = baseHarness({ root, maxWatchedDirs: 1, watcher: 'chokidar' });
    await chokidar.src.start();
    expect(chokidar.src.coverage()).toMatchObject({ watchedDirs: 3, knownDirs: 3, canRealtime: true });
  });
});
