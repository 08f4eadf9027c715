// File metadata (consumers.md §1) in every scan phase and the sentinel: kind, uid, gid, mode, ctime_ms from lstat.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kindOfMode, type UpsertEvent } from '@fustor/source-fs';
import { ageDirs, byPath, collect, harness, makeTree, tempDir } from './helpers.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** What an upsert of this local path must carry, straight from lstat. */
function expected(local: string) {
  const st = fs.lstatSync(local);
  return { kind: kindOfMode(st.mode), uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, ctime_ms: st.ctimeMs, mtime_ms: st.mtimeMs };
}

/**
 * A tree with one of every kind: files with odd modes and owners, a directory, symlinks to a file,
 * to a directory and dangling, a FIFO, a socket and (when mknod is permitted) a character device.
 */
async function specialTree(): Promise<{ root: string; device: boolean }> {
  const root = tempDir();
  makeTree(root, { 'd/f.dat': 'hello', 'd/sub/g.dat': '12', 'secret.dat': 'x', 'target/t.dat': 't' });
  fs.chmodSync(join(root, 'secret.dat'), 0o4640);
  fs.chownSync(join(root, 'd/f.dat'), 1234, 5678);
  fs.symlinkSync('target', join(root, 'link-dir'));
  fs.symlinkSync('d/f.dat', join(root, 'link-file'));
  fs.symlinkSync('nowhere/at/all', join(root, 'link-dangling'));
  expect(spawnSync('mkfifo', [join(root, 'fifo')]).status).toBe(0);
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(join(root, 'sock'), resolve));
  // mknod needs CAP_MKNOD: where it is refused, the device kind is covered by kindOfMode alone.
  const device = spawnSync('mknod', [join(root, 'null-dev'), 'c', '1', '3']).status === 0;
  return { root, device };
}

function expectMeta(events: UpsertEvent[], root: string, device: boolean): void {
  const m = byPath(events);
  const want: Array<[string, string]> = [
    ['/', ''], ['/d', 'd'], ['/d/f.dat', 'd/f.dat'], ['/d/sub', 'd/sub'], ['/secret.dat', 'secret.dat'],
    ['/link-dir', 'link-dir'], ['/link-file', 'link-file'], ['/link-dangling', 'link-dangling'], ['/fifo', 'fifo'], ['/sock', 'sock'],
  ];
  if (device) want.push(['/null-dev', 'null-dev']);
  for (const [view, local] of want) {
    const e = m.get(view);
    expect(e, view).toBeDefined();
    expect(e, view).toMatchObject(expected(join(root, local)));
    expect(e!.is_dir, view).toBe(e!.kind === 'dir');
    if (e!.kind === 'dir') expect(e!.size, view).toBeUndefined();
    else expect(e!.size, view).toBe(fs.lstatSync(join(root, local)).size);
  }
  expect(m.get('/d/f.dat')).toMatchObject({ kind: 'file', uid: 1234, gid: 5678, size: 5 });
  expect(m.get('/secret.dat')).toMatchObject({ mode: 0o4640 });
  // Symlinks are reported as links (their own size: the target string's length) and never followed.
  expect(m.get('/link-dir')).toMatchObject({ kind: 'symlink', is_dir: false, size: 'target'.length });
  expect(m.get('/link-dangling')).toMatchObject({ kind: 'symlink', size: 'nowhere/at/all'.length });
  expect(m.has('/link-dir/t.dat')).toBe(false);
  expect(m.get('/fifo')).toMatchObject({ kind: 'fifo', is_dir: false });
  expect(m.get('/sock')).toMatchObject({ kind: 'socket', is_dir: false });
  if (device) expect(m.get('/null-dev')).toMatchObject({ kind: 'device', is_dir: false });
  for (const e of events) expect(Object.keys(e), e.path).toEqual(expect.arrayContaining(['kind', 'uid', 'gid', 'mode', 'ctime_ms']));
}

describe('metadata in every phase', () => {
  it('snapshot: every entry, directories included, carries kind/uid/gid/mode/ctime_ms; specials are reported as what they are', async () => {
    const { root, device } = await specialTree();
    const { src, issues } = harness({ root, realtime: false });
    await src.start();
    expectMeta(await collect(src.snapshot()), root, device);
    expect(issues).toEqual([]);
  });

  it('the stat worker and the main-thread walk report specials and metadata identically', async () => {
    const { root } = await specialTree();
    for (let i = 0; i < 30; i++) makeTree(root, { [`many/f${i}.dat`]: 'x'.repeat(i) });
    const run = async (scanWorkers: number) => {
      const { src } = harness({ root, realtime: false, scanWorkers, batchSize: 5 });
      await src.start();
      return (await collect(src.snapshot())).map((e) => ({ ...e, observed_at_ms: 0 })).sort((a, b) => (a.path < b.path ? -1 : 1));
    };
    const main = await run(0);
    expect(main.find((e) => e.path === '/fifo')).toMatchObject({ kind: 'fifo' });
    expect(await run(1)).toEqual(main);
  });

  it('audit (full and through the cache) and on-demand scans carry the same metadata', async () => {
    const { root, device } = await specialTree();
    ageDirs(root);
    const { src } = harness({ root, realtime: false });
    await src.start();
    expectMeta(await collect(src.audit()), root, device);
    // Second audit: only audit_skipped directory entries, still with their metadata.
    const cached = await collect(src.audit());
    expect(cached.every((e) => e.is_dir && e.audit_skipped)).toBe(true);
    for (const e of cached) expect(e).toMatchObject(expected(join(root, e.path)));
    expectMeta(await collect(src.scanPath('/')), root, device);
    // Non-recursive: subdirectories reported from their own lstat.
    const flat = byPath(await collect(src.scanPath('/d', { recursive: false })));
    expect(flat.get('/d/sub')).toMatchObject({ ...expected(join(root, 'd/sub')), is_dir: true });
    expect(flat.get('/d/f.dat')).toMatchObject(expected(join(root, 'd/f.dat')));
    // One entry by path: a symlink and a FIFO as themselves.
    expect(await collect(src.scanPath('/link-dir'))).toEqual([expect.objectContaining({ ...expected(join(root, 'link-dir')), path: '/link-dir', is_dir: false })]);
    expect(await collect(src.scanPath('/fifo'))).toEqual([expect.objectContaining({ kind: 'fifo', path: '/fifo' })]);
  });

  it('regression: a DT_UNKNOWN listing (some network file systems) is typed by lstat, directories are entered', async () => {
    const root = tempDir();
    makeTree(root, { 'a/inner.dat': '1', 'b.dat': '22' });
    fs.symlinkSync('a', join(root, 'l'));
    const unknown = (d: fs.Dirent): fs.Dirent =>
      Object.assign(Object.create(Object.getPrototypeOf(d) as object) as fs.Dirent, d, {
        isDirectory: () => false, isFile: () => false, isSymbolicLink: () => false,
      });
    const { src } = harness({
      root, realtime: false,
      fs: { readdir: async (p) => (await fs.promises.readdir(p, { withFileTypes: true })).map(unknown) },
    });
    await src.start();
    const m = byPath(await collect(src.snapshot()));
    expect(m.get('/a')).toMatchObject({ is_dir: true, kind: 'dir' });
    expect(m.get('/a/inner.dat')).toMatchObject({ kind: 'file', size: 1 });
    expect(m.get('/b.dat')).toMatchObject({ kind: 'file', size: 2 });
    expect(m.get('/l')).toMatchObject({ kind: 'symlink', is_dir: false });
  });
});

describe('sentinel metadata and order', () => {
  it('re-stats carry the lstat metadata; links and specials are themselves', async () => {
    const { root } = await specialTree();
    const { src } = harness({ root, realtime: false });
    await src.start();
    const res = await src.sentinel(['/d/f.dat', '/d', '/link-dir', '/fifo', '/gone']);
    const { mtime_ms: fm, ...fmeta } = expected(join(root, 'd/f.dat'));
    expect(res[0]).toEqual({ path: '/d/f.dat', exists: true, size: 5, mtime_ms: fm, ...fmeta });
    expect(res[1]).toMatchObject({ path: '/d', exists: true, kind: 'dir' });
    expect(res[1]!.size).toBeUndefined();
    expect(res[2]).toMatchObject({ path: '/link-dir', kind: 'symlink', size: 'target'.length });
    expect(res[3]).toMatchObject({ path: '/fifo', kind: 'fifo' });
    expect(res[4]).toEqual({ path: '/gone', exists: false });
  });

  it('many paths (more than its concurrency) come back in input order, whatever finishes first', async () => {
    const root = tempDir();
    const spec: Record<string, string> = {};
    for (let i = 0; i < 60; i++) spec[`f${i}`] = 'x'.repeat(i);
    makeTree(root, spec);
    let inFlight = 0;
    let most = 0;
    const { src } = harness({
      root, realtime: false,
      fs: {
        // Later paths answer sooner, so completion order differs from input order.
        lstat: async (p) => {
          inFlight++;
          most = Math.max(most, inFlight);
          const m = /\/f(\d+)$/.exec(String(p));
          await new Promise((r) => setTimeout(r, m ? 60 - Number(m[1]) : 0));
          inFlight--;
          return fs.promises.lstat(p);
        },
      },
    });
    await src.start();
    const paths = Array.from({ length: 60 }, (_, i) => (i % 7 === 3 ? `/missing${i}` : `/f${i}`));
    const res = await src.sentinel(paths);
    expect(res.map((r) => r.path)).toEqual(paths);
    for (const [i, r] of res.entries()) {
      if (i % 7 === 3) expect(r).toEqual({ path: `/missing${i}`, exists: false });
      else expect(r).toMatchObject({ exists: true, kind: 'file', size: i });
    }
    // Bounded: never more than the queue's concurrency × the two lstats of one check at once.
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(16);
  });
});

describe('kindOfMode', () => {
  it('maps every S_IFMT value to its kind', () => {
    expect([0o100644, 0o040755, 0o120777, 0o010644, 0o140755, 0o020666, 0o060660].map(kindOfMode)).toEqual(
      ['file', 'dir', 'symlink', 'fifo', 'socket', 'device', 'device'],
    );
  });
});
