// Realtime on both backends: metadata from lstat, attribute-only changes, directory mtimes, and the
// watched root being removed or re-created.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WATCHER_KINDS, type FileEvent, type FsSourceOptions, type UpsertEvent } from '@fustor/source-fs';
import { ageDirs, collect, harness as baseHarness, has, makeTree, secondsAgo, tempDir, waitFor } from './helpers.js';

const upserts = (evs: FileEvent[], path: string): UpsertEvent[] =>
  evs.filter((e): e is UpsertEvent => e.op === 'upsert' && e.path === path);

describe.each(WATCHER_KINDS)('realtime metadata and directories (%s backend)', (watcher) => {
  const harness = (o: FsSourceOptions) => baseHarness({ ...o, watcher });

  it('upserts carry kind/uid/gid/mode/ctime_ms from lstat: symlinks (dangling too), FIFOs and sockets as themselves', async () => {
    const root = tempDir();
    makeTree(root, { 'target.dat': 'abc' });
    const { src, realtime } = harness({ root, writeSettleMs: 0 });
    await src.start();
    fs.writeFileSync(join(root, 'f.dat'), 'hello');
    fs.mkdirSync(join(root, 'd'));
    fs.symlinkSync('target.dat', join(root, 'link'));
    fs.symlinkSync('/nonexistent/target', join(root, 'dangling'));
    execFileSync('mkfifo', [join(root, 'pipe')]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'sock'), resolve));
    onTestFinished(() => void server.close());
    const expected = { '/f.dat': 'file', '/d': 'dir', '/link': 'symlink', '/dangling': 'symlink', '/pipe': 'fifo', '/sock': 'socket' };
    await waitFor(() => Object.keys(expected).every((p) => has(realtime, 'upsert', p)), 'an upsert for every new entry');
    for (const [path, kind] of Object.entries(expected)) {
      const st = fs.lstatSync(join(root, path));
      const ev = upserts(realtime, path).at(-1)!;
      expect(ev, path).toMatchObject({
        kind, is_dir: kind === 'dir', uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, mtime_ms: st.mtimeMs, ctime_ms: st.ctimeMs,
      });
      if (kind !== 'dir') expect(ev.size, path).toBe(st.size);
    }
    // The link itself, never its target: its size is the length of the text it holds.
    expect(upserts(realtime, '/link').at(-1)!.size).toBe('target.dat'.length);
  });

  it('regression: chmod, chown and touch -a leave size and mtime alone, yet each is reported with the new metadata as a final upsert', async () => {
    const root = tempDir();
    makeTree(root, { 'f.dat': 'content', 'd/': '' });
    const f = join(root, 'f.dat');
    fs.utimesSync(f, secondsAgo(60), secondsAgo(60));
    const { src, realtime } = harness({ root, writeSettleMs: 500 });
    await src.start();
    const before = fs.lstatSync(f);

    fs.chmodSync(f, 0o640);
    await waitFor(() => upserts(realtime, '/f.dat').some((e) => e.mode === 0o640), 'upsert after chmod');
    fs.chownSync(f, 4321, 8765);
    await waitFor(() => upserts(realtime, '/f.dat').some((e) => e.uid === 4321 && e.gid === 8765), 'upsert after chown');
    const ctimeBefore = fs.lstatSync(f).ctimeMs;
    fs.utimesSync(f, new Date(), before.mtime); // touch -a: a new access time, the same mtime
    const ctimeAfter = fs.lstatSync(f).ctimeMs;
    expect(ctimeAfter).toBeGreaterThan(ctimeBefore);
    await waitFor(() => upserts(realtime, '/f.dat').some((e) => e.ctime_ms === ctimeAfter), 'upsert after touch -a');

    // Not writes: no "still being written" report, nothing left settling, size and mtime as they were.
    for (const e of upserts(realtime, '/f.dat')) {
      expect(e).toMatchObject({ is_atomic_write: true, size: before.size, mtime_ms: before.mtimeMs });
    }
    expect(has(realtime, 'delete', '/f.dat')).toBe(false);

    // Directories, and the root (which has no parent watch to tell).
    fs.chmodSync(join(root, 'd'), 0o700);
    await waitFor(() => upserts(realtime, '/d').some((e) => e.mode === 0o700), 'upsert after chmod of a directory');
    fs.chmodSync(root, 0o750);
    await waitFor(() => upserts(realtime, '/').some((e) => e.mode === 0o750), 'upsert after chmod of the root');
    // A directory's own attribute event is never taken for a child named like it.
    expect(realtime.some((e) => e.op === 'delete')).toBe(false);
  });

  it("directory mtimes: creating, deleting and renaming entries report the directory's new mtime, once per burst", async () => {
    const root = tempDir();
    makeTree(root, { 'a/': '', 'b/x.dat': 'x', 'b/gone.dat': 'g', 'c/': '' });
    ageDirs(root);
    const { src, realtime } = harness({ root, writeSettleMs: 0 });
    await src.start();
    const mtimeOf = (p: string) => fs.lstatSync(join(root, p)).mtimeMs;
    const reportedNow = (view: string, local: string) => upserts(realtime, view).some((e) => e.is_dir && e.mtime_ms === mtimeOf(local));

    for (let i = 0; i < 50; i++) fs.writeFileSync(join(root, `a/f${i}.dat`), 'x');
    await waitFor(() => reportedNow('/a', 'a'), '/a with its new mtime');
    expect(upserts(realtime, '/a')).toHaveLength(1);
    expect(upserts(realtime, '/a')[0]).toMatchObject({ kind: 'dir', mode: fs.lstatSync(join(root, 'a')).mode & 0o7777 });

    fs.unlinkSync(join(root, 'b/gone.dat'));
    fs.renameSync(join(root, 'b/x.dat'), join(root, 'c/y.dat'));
    fs.mkdirSync(join(root, 'new-top'));
    await waitFor(() => reportedNow('/b', 'b') && reportedNow('/c', 'c') && reportedNow('/', '.'), '/b, /c and / with their new mtimes');
    expect(upserts(realtime, '/b')).toHaveLength(1);
    expect(upserts(realtime, '/c')).toHaveLength(1);
  });

  it('regression: realtime lost when the watched root is re-created (rm -rf ROOT; mkdir ROOT) is re-established and asks for a rescan', async () => {
    const parent = tempDir();
    const root = join(parent, 'watched');
    makeTree(root, { 'old/f.dat': '1' });
    const rescans: string[] = [];
    const coverage: boolean[] = [];
    const { src, realtime, issues } = harness({
      root, writeSettleMs: 0, events: { rescanNeeded: (r) => rescans.push(r), coverage: (c) => coverage.push(c.canRealtime) },
    });
    await src.start();
    fs.rmSync(root, { recursive: true });
    fs.mkdirSync(root); // on ext4 the new directory usually gets the old inode number back
    await waitFor(() => rescans.length === 1, 'rescan request');
    expect(issues.filter((i) => i.kind === 'root_lost' && i.path === root)).toHaveLength(1);
    expect(coverage).toContain(false);
    expect(coverage.at(-1)).toBe(true);
    expect(src.coverage()).toMatchObject({ canRealtime: true, watchedDirs: 1 });

    fs.mkdirSync(join(root, 'new'));
    fs.writeFileSync(join(root, 'new/after.dat'), 'x');
    await waitFor(() => has(realtime, 'upsert', '/new/after.dat'), 'realtime event in the re-created root');
    expect((await collect(src.snapshot())).map((e) => e.path).sort()).toEqual(['/', '/new', '/new/after.dat']);
  });

  it('a root removed for a while is looked for until it exists again; a root moved away stops reporting under its old paths', async () => {
    const parent = tempDir();
    const root = join(parent, 'watched');
    makeTree(root, { 'sub/f.dat': '1' });
    const rescans: string[] = [];
    const { src, realtime, issues } = harness({ root, writeSettleMs: 0, events: { rescanNeeded: (r) => rescans.push(r) } });
    await src.start();

    fs.renameSync(root, join(parent, 'moved'));
    await waitFor(() => issues.some((i) => i.kind === 'root_lost'), 'root_lost issue');
    expect(src.coverage().canRealtime).toBe(false);
    await expect(collect(src.snapshot())).rejects.toThrow(/does not exist/);
    fs.writeFileSync(join(parent, 'moved/sub/late.dat'), 'x'); // the old watches followed this tree
    fs.mkdirSync(root);
    await waitFor(() => rescans.length === 1, 'rescan request once the root exists again');
    fs.writeFileSync(join(root, 'fresh.dat'), 'y');
    await waitFor(() => has(realtime, 'upsert', '/fresh.dat'), 'realtime in the new root');
    expect(realtime.some((e) => e.path.endsWith('late.dat'))).toBe(false);

    // A second loss is reported again (the first was resolved).
    fs.rmSync(root, { recursive: true });
    await waitFor(() => issues.filter((i) => i.kind === 'root_lost').length === 2, 'second root_lost issue');
  });
});
