// Audit with the directory-mtime cache (P9), on-demand scans, sentinel and drift.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutsideRootError, estimateDrift, type FsLayer, type LocalPath } from '@fustor/source-fs';
import { ageDirs, byPath, collect, harness, makeTree, secondsAgo, tempDir } from './helpers.js';

/** Counts calls per path kind so a test can prove what an audit touched. */
function countingFs() {
  const stats: string[] = [];
  const listings: string[] = [];
  const layer: Partial<FsLayer> = {
    lstatSync: (p: LocalPath) => {
      stats.push(String(p));
      return fs.lstatSync(p, { throwIfNoEntry: false });
    },
    readdir: (p: LocalPath) => {
      listings.push(String(p));
      return fs.promises.readdir(p, { withFileTypes: true });
    },
  };
  return { layer, stats, listings, reset: () => ((stats.length = 0), (listings.length = 0)) };
}

describe('audit', () => {
  it('second audit of an unchanged tree: one audit_skipped entry per directory, no files, no readdir, only directory stats', async () => {
    const root = tempDir();
    makeTree(root, { 'a/f1': '1', 'a/b/f2': '2', 'c/f3': '3', 'top': '4' });
    ageDirs(root);
    const counter = countingFs();
    const { src } = harness({ root, realtime: false, fs: counter.layer });
    await src.start();
    const first = await collect(src.audit());
    expect(first.filter((e) => e.is_dir).every((e) => e.audit_skipped === false)).toBe(true);
    expect(first.filter((e) => !e.is_dir)).toHaveLength(4);
    counter.reset();
    const second = await collect(src.audit());
    expect(second.map((e) => [e.path, e.is_dir, e.audit_skipped]).sort()).toEqual([
      ['/', true, true], ['/a', true, true], ['/a/b', true, true], ['/c', true, true],
    ]);
    expect(counter.listings).toEqual([]);
    expect(counter.stats.sort()).toEqual([root, join(root, 'a'), join(root, 'a/b'), join(root, 'c')].sort());
    // Subdirectory entries still carry their parent's listing mtime.
    expect(byPath(second).get('/a/b')).toMatchObject({ parent_path: '/a', parent_mtime_ms: fs.statSync(join(root, 'a')).mtimeMs });
  });

  it('a changed directory is listed in full (audit_skipped false) with its files; the others stay skipped', async () => {
    const root = tempDir();
    makeTree(root, { 'a/f1': '1', 'b/f2': '2' });
    ageDirs(root);
    const { src } = harness({ root, realtime: false });
    await src.start();
    await collect(src.audit());
    fs.writeFileSync(join(root, 'b/new'), 'n');
    fs.utimesSync(join(root, 'b'), secondsAgo(10), secondsAgo(10)); // changed mtime, but not "hot"
    const m = byPath(await collect(src.audit()));
    expect(m.get('/b')).toMatchObject({ audit_skipped: false });
    expect(m.has('/b/new') && m.has('/b/f2')).toBe(true);
    expect(m.get('/a')).toMatchObject({ audit_skipped: true });
    expect(m.has('/a/f1')).toBe(false);
  });

  it('directories modified within the last 2 s are never trusted from the cache', async () => {
    const root = tempDir();
    makeTree(root, { 'hot/f': '1' });
    const { src } = harness({ root, realtime: false });
    await src.start();
    await collect(src.audit());
    const m = byPath(await collect(src.audit()));
    expect(m.get('/hot')).toMatchObject({ audit_skipped: false });
    expect(m.has('/hot/f')).toBe(true);
  });

  it('an audit abandoned half-way does not prune the cache (the next audit is still incremental)', async () => {
    const root = tempDir();
    for (let i = 0; i < 30; i++) makeTree(root, { [`d${i}/f`]: '1' });
    ageDirs(root);
    const { src } = harness({ root, realtime: false, batchSize: 3 });
    await src.start();
    await collect(src.audit());
    for await (const b of src.audit()) if (b.length > 0) break;
    const third = await collect(src.audit());
    expect(third.filter((e) => e.audit_skipped === false)).toEqual([]);
    expect(third).toHaveLength(31);
  });

  it('clearAuditCache makes the next audit full', async () => {
    const root = tempDir();
    makeTree(root, { 'a/f1': '1' });
    ageDirs(root);
    const { src } = harness({ root, realtime: false });
    await src.start();
    await collect(src.audit());
    expect((await collect(src.audit())).some((e) => !e.is_dir)).toBe(false);
    src.clearAuditCache();
    const full = await collect(src.audit());
    expect(full.filter((e) => e.is_dir).every((e) => e.audit_skipped === false)).toBe(true);
    expect(full.some((e) => e.path === '/a/f1')).toBe(true);
  });
});

describe('on-demand scan', () => {
  it('scans a sub-path recursively or not, with the parent listing context', async () => {
    const root = tempDir();
    makeTree(root, { 'a/f1': '1', 'a/b/f2': '22', 'other/x': '1' });
    const { src } = harness({ root, realtime: false });
    await src.start();
    const rec = await collect(src.scanPath('/a'));
    expect(rec.map((e) => e.path).sort()).toEqual(['/a', '/a/b', '/a/b/f2', '/a/f1']);
    expect(byPath(rec).get('/a')).toMatchObject({ parent_path: '/', parent_mtime_ms: fs.statSync(root).mtimeMs });
    const flat = await collect(src.scanPath('/a/', { recursive: false }));
    expect(flat.map((e) => [e.path, e.is_dir]).sort()).toEqual([['/a', true], ['/a/b', true], ['/a/f1', false]]);
    const file = await collect(src.scanPath('/a/b/f2'));
    expect(file).toEqual([expect.objectContaining({ path: '/a/b/f2', size: 2, parent_path: '/a/b' })]);
    expect(await collect(src.scanPath('/missing'))).toEqual([]);
  });

  it('refuses paths that climb out of the root or escape through a symlink (OutsideRootError)', async () => {
    const root = tempDir();
    const outside = tempDir();
    makeTree(outside, { 'secret/s.dat': 'x' });
    makeTree(root, { 'in/f': '1' });
    fs.symlinkSync(join(outside, 'secret'), join(root, 'escape'));
    fs.symlinkSync('in', join(root, 'inner-link'));
    const { src } = harness({ root, realtime: false });
    await src.start();
    await expect(collect(src.scanPath('/../../etc'))).rejects.toBeInstanceOf(OutsideRootError);
    await expect(collect(src.scanPath('/in/../../etc'))).rejects.toBeInstanceOf(OutsideRootError);
    await expect(collect(src.scanPath('/escape/s.dat'))).rejects.toBeInstanceOf(OutsideRootError);
    // Encoded separators and dots never become path steps.
    await expect(collect(src.scanPath('/in%2F..%2F..%2F..%2Fetc'))).rejects.toBeInstanceOf(OutsideRootError);
    await expect(collect(src.scanPath('/%2E%2E/etc'))).rejects.toBeInstanceOf(OutsideRootError);
    expect(await src.sentinel(['/in%2F..%2F..%2Fetc%2Fpasswd'])).toEqual([{ path: '/in%2F..%2F..%2Fetc%2Fpasswd', exists: false }]);
    // The link itself is part of the view (as a file), never followed.
    expect(await collect(src.scanPath('/escape'))).toEqual([expect.objectContaining({ path: '/escape', is_dir: false })]);
    // A path through a symlink that stays inside is not part of the view: nothing to report.
    expect(await collect(src.scanPath('/inner-link/f'))).toEqual([]);
  });
});

describe('sentinel', () => {
  it('re-stats view paths: exists, size, mtime_ms; missing and escaping paths do not exist', async () => {
    const root = tempDir();
    const outside = tempDir();
    makeTree(outside, { 'x': 'outside' });
    makeTree(root, { 'a/f': 'hello' });
    fs.symlinkSync(outside, join(root, 'out'));
    const { src } = harness({ root, realtime: false });
    await src.start();
    const res = await src.sentinel(['/a/f', '/a/gone', '/a', '/out/x', '/../etc/passwd']);
    // Existing entries also carry their metadata (metadata.test.ts checks it); here: the facts.
    expect(res).toEqual([
      expect.objectContaining({ path: '/a/f', exists: true, size: 5, mtime_ms: fs.statSync(join(root, 'a/f')).mtimeMs }),
      { path: '/a/gone', exists: false },
      expect.objectContaining({ path: '/a', exists: true, mtime_ms: fs.statSync(join(root, 'a')).mtimeMs }),
      { path: '/out/x', exists: false },
      { path: '/../etc/passwd', exists: false },
    ]);
  });
});

describe('drift', () => {
  it('estimates a storage clock running 1 h ahead from recent directory mtimes, ignoring a 2050 outlier', async () => {
    const root = tempDir();
    const ahead = new Date(Date.now() + 3600_000);
    for (let i = 0; i < 12; i++) makeTree(root, { [`d${i}/`]: '' });
    ageDirs(root, 3600 * 24 * 30);
    for (let i = 0; i < 10; i++) fs.utimesSync(join(root, `d${i}`), ahead, ahead);
    const y2050 = new Date('2050-06-01T00:00:00Z');
    fs.utimesSync(join(root, 'd11'), y2050, y2050);
    let local = Date.now();
    const { src } = harness({ root, realtime: false, clock: () => local });
    await src.start();
    expect(Math.abs(src.driftMs - 3600_000)).toBeLessThan(5000);
    // Every phase stamps the same clock: local + drift.
    local += 1;
    expect(src.now()).toBe(local + src.driftMs);
    const snap = await collect(src.snapshot());
    for (const e of snap) expect(e.observed_at_ms).toBe(local + src.driftMs);
  });

  it('is 0 when recent directories are in the past, or when a few lonely ones are in the future', () => {
    const now = 1_800_000_000_000;
    expect(estimateDrift([now - 5000, now - 60_000], now).driftMs).toBe(0);
    const many = Array.from({ length: 100 }, (_, i) => now - 1000 * i);
    expect(estimateDrift([...many, now + 7_200_000, now + 7_000_000], now).driftMs).toBe(0);
    expect(estimateDrift([...many, Date.UTC(2050, 0, 1)], now).driftMs).toBe(0);
    const ahead = Array.from({ length: 60 }, (_, i) => now + 600_000 - i * 10);
    expect(estimateDrift([...many, ...ahead], now).driftMs).toBeGreaterThan(599_000);
  });
});
