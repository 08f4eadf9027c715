// Snapshot scanner on real temp trees: structure, filters, symlinks, names, mounts, limits.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventBatchSchema } from '@fustor/protocol';
import { SourceRootError, SourceOptionsError, createFsSource, decodeSegment, type UpsertEvent } from '@fustor/source-fs';
import { byPath, collect, harness, makeTree, tempDir } from './helpers.js';

// The whole suite runs twice: on the native directory job (where it is built; trusted at once, so a test's
// few directories are not all spent on probes) and on the JavaScript one.
describe.each([
  ['native directory job', { FUSTOR_NATIVE_SCAN: undefined, FUSTOR_TEST_NATIVE_SCAN_TRUST: '1' }],
  ['JavaScript directory job', { FUSTOR_NATIVE_SCAN: '0', FUSTOR_TEST_NATIVE_SCAN_TRUST: undefined }],
])('snapshot (%s)', (_name, env) => {
  const before = { FUSTOR_NATIVE_SCAN: process.env.FUSTOR_NATIVE_SCAN, FUSTOR_TEST_NATIVE_SCAN_TRUST: process.env.FUSTOR_TEST_NATIVE_SCAN_TRUST };
  const setEnv = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  beforeAll(() => setEnv(env));
  afterAll(() => setEnv(before));

  it('reports the root, each directory before its children, with parent_path and parent_mtime_ms', async () => {
    const root = tempDir();
    makeTree(root, { 'a/f1.dat': 'hello', 'a/b/f2.dat': 'xy', 'c/': '', 'top.txt': '1' });
    const { src } = harness({ root, realtime: false, batchSize: 2 });
    await src.start();
    const events = await collect(src.snapshot());
    const m = byPath(events);
    expect([...m.keys()].sort()).toEqual(['/', '/a', '/a/b', '/a/b/f2.dat', '/a/f1.dat', '/c', '/top.txt']);
    expect(events).toHaveLength(7);
    expect(m.get('/')).toMatchObject({ is_dir: true, mtime_ms: fs.statSync(root).mtimeMs });
    expect(m.get('/')!.parent_path).toBeUndefined();
    expect(m.get('/a/f1.dat')).toMatchObject({
      op: 'upsert', is_dir: false, size: 5, mtime_ms: fs.statSync(join(root, 'a/f1.dat')).mtimeMs,
      parent_path: '/a', parent_mtime_ms: fs.statSync(join(root, 'a')).mtimeMs,
    });
    expect(m.get('/a/b')).toMatchObject({ is_dir: true, parent_path: '/a', parent_mtime_ms: fs.statSync(join(root, 'a')).mtimeMs });
    expect(m.get('/top.txt')!.parent_mtime_ms).toBe(fs.statSync(root).mtimeMs);
    // Each directory's own entry precedes its listed children.
    const idx = (p: string) => events.findIndex((e) => e.path === p);
    for (const e of events) if (e.parent_path !== undefined) expect(idx(e.parent_path)).toBeLessThan(idx(e.path));
    // Every event carries observed_at_ms from the one clock, and batches validate against the wire schema.
    for (const e of events) expect(typeof e.observed_at_ms).toBe('number');
    expect(() => eventBatchSchema.parse({ message_source: 'snapshot', batch_seq: 0, events })).not.toThrow();
  });

  it('honours file_pattern on names and exclude globs on view paths (whole subtrees)', async () => {
    const root = tempDir();
    makeTree(root, {
      'a/keep.dat': '1', 'a/skip.txt': '1', 'a/x.tmp': '1', 'a/.snapshot/old.dat': '1', '.snapshot/y.dat': '1', 'b/c/deep.dat': '1',
    });
    const { src } = harness({ root, realtime: false, filePattern: '*.dat', exclude: ['**/.snapshot/**', '**/*.tmp'] });
    await src.start();
    const paths = (await collect(src.snapshot())).map((e) => e.path).sort();
    expect(paths).toEqual(['/', '/a', '/a/keep.dat', '/b', '/b/c', '/b/c/deep.dat']);
  });

  it('does not follow symlinks: the link is a file with its own lstat size and mtime', async () => {
    const root = tempDir();
    const outside = tempDir();
    makeTree(outside, { 'secret/s.dat': 'secret' });
    makeTree(root, { 'd/f': '1' });
    fs.symlinkSync(join(outside, 'secret'), join(root, 'd/link'));
    fs.symlinkSync('d', join(root, 'loop'));
    const { src } = harness({ root, realtime: false });
    await src.start();
    const m = byPath(await collect(src.snapshot()));
    const lst = fs.lstatSync(join(root, 'd/link'));
    expect(m.get('/d/link')).toMatchObject({ is_dir: false, size: lst.size, mtime_ms: lst.mtimeMs });
    expect(m.get('/loop')).toMatchObject({ is_dir: false });
    expect([...m.keys()].some((p) => p.includes('s.dat'))).toBe(false);
  });

  it('reports a 2050 mtime as it is', async () => {
    const root = tempDir();
    makeTree(root, { 'future.dat': 'x' });
    const t2050 = new Date('2050-01-01T00:00:00Z');
    fs.utimesSync(join(root, 'future.dat'), t2050, t2050);
    const { src } = harness({ root, realtime: false });
    await src.start();
    const m = byPath(await collect(src.snapshot()));
    expect(m.get('/future.dat')!.mtime_ms).toBe(t2050.getTime());
    expect(src.driftMs).toBe(0); // one file in the future says nothing about the storage clock
  });

  it('gives identical view paths through two mount paths of one tree (symlinked root vs real)', async () => {
    const real = tempDir();
    makeTree(real, { 'a/b/c.dat': '123', 'x.dat': '' });
    const alias = join(tempDir(), 'mount2');
    fs.symlinkSync(real, alias);
    const a = harness({ root: real, realtime: false });
    const b = harness({ root: alias, realtime: false });
    await a.src.start();
    await b.src.start();
    expect(b.src.root).toBe(real);
    const strip = (e: UpsertEvent): UpsertEvent => ({ ...e, observed_at_ms: 0 });
    const ea = (await collect(a.src.snapshot())).map(strip);
    const eb = (await collect(b.src.snapshot())).map(strip);
    expect(eb).toEqual(ea);
    for (const e of ea) expect(e.path.includes(real)).toBe(false);
  });

  it('encodes invalid UTF-8 and newline names reversibly, never merging two names, reporting each once', async () => {
    const root = tempDir();
    const rootBuf = Buffer.from(root);
    const bad1 = Buffer.concat([Buffer.from('bad'), Buffer.from([0xff]), Buffer.from('.dat')]);
    const bad2 = Buffer.concat([Buffer.from('bad'), Buffer.from([0xfe]), Buffer.from('.dat')]);
    for (const n of [bad1, bad2]) fs.writeFileSync(Buffer.concat([rootBuf, Buffer.from('/'), n]), 'x');
    fs.mkdirSync(Buffer.concat([rootBuf, Buffer.from('/dir'), Buffer.from([0xc3])]));
    fs.writeFileSync(Buffer.concat([rootBuf, Buffer.from('/dir'), Buffer.from([0xc3]), Buffer.from('/in.dat')]), 'yy');
    fs.writeFileSync(join(root, 'two\nlines'), 'x');
    fs.writeFileSync(join(root, 'two%0Alines'), 'literal'); // must not merge with the newline name
    fs.writeFileSync(join(root, '50%.txt'), 'x');
    const { src, issues } = harness({ root, realtime: false });
    await src.start();
    const m = byPath(await collect(src.snapshot()));
    expect([...m.keys()].sort()).toEqual([
      '/', '/50%.txt', '/bad%FE.dat', '/bad%FF.dat', '/dir%C3', '/dir%C3/in.dat', '/two%0Alines', '/two%250Alines',
    ]);
    expect(m.get('/dir%C3/in.dat')).toMatchObject({ size: 2, parent_path: '/dir%C3' });
    expect(decodeSegment('bad%FF.dat')).toEqual(bad1);
    expect(decodeSegment('two%250Alines')).toBe('two%0Alines');
    const invalid = issues.filter((i) => i.kind === 'invalid_name');
    expect(invalid).toHaveLength(4);
    // A second scan reports nothing new: each cause once.
    await collect(src.snapshot());
    expect(issues.filter((i) => i.kind === 'invalid_name')).toHaveLength(4);
    // Sentinel and on-demand scans decode the same names back to the files.
    const [r] = await src.sentinel(['/bad%FF.dat']);
    expect(r).toMatchObject({ exists: true, size: 1 });
    const od = await collect(src.scanPath('/dir%C3'));
    expect(od.map((e) => e.path)).toEqual(['/dir%C3', '/dir%C3/in.dat']);
  });

  it('skips and reports a path whose view path would exceed 4096 bytes, and continues', async () => {
    const root = tempDir();
    // Each '\n' becomes '%0A' (3 bytes): 200-byte names grow to 600 bytes in the view.
    let dir = root;
    for (let i = 0; i < 7; i++) {
      dir = join(dir, '\n'.repeat(199) + String(i));
      fs.mkdirSync(dir);
    }
    fs.writeFileSync(join(dir, 'f'), 'x');
    fs.writeFileSync(join(root, 'ok.dat'), 'x');
    const { src, issues } = harness({ root, realtime: false });
    await src.start();
    const events = await collect(src.snapshot());
    for (const e of events) expect(Buffer.byteLength(e.path)).toBeLessThanOrEqual(4096);
    expect(events.some((e) => e.path === '/ok.dat')).toBe(true);
    expect(events.filter((e) => e.is_dir).length).toBe(1 + 6); // root + the 6 levels that fit
    expect(issues.filter((i) => i.kind === 'name_too_long')).toHaveLength(1);
  });

  it('throws SourceRootError for a missing root, a file root and before start', async () => {
    const root = tempDir();
    makeTree(root, { 'file': 'x' });
    await expect(createFsSource({ root: join(root, 'nope') }).start()).rejects.toBeInstanceOf(SourceRootError);
    await expect(createFsSource({ root: join(root, 'file') }).start()).rejects.toThrow(/is not a directory/);
    expect(() => createFsSource({ root: 'relative' })).toThrow(SourceOptionsError);
    expect(() => createFsSource({ root, bogus: 1 } as never)).toThrow(/bogus/);
  });

  it('throws SourceRootError out of the iterator when the root vanishes before the scan', async () => {
    const parent = tempDir();
    const root = join(parent, 'r');
    fs.mkdirSync(root);
    const { src } = harness({ root, realtime: false });
    await src.start();
    fs.rmSync(root, { recursive: true });
    await expect(collect(src.snapshot())).rejects.toBeInstanceOf(SourceRootError);
  });

  it('stops promptly on abort and reports progress (entries scanned, dirs pending)', async () => {
    const root = tempDir();
    for (let d = 0; d < 40; d++) for (let f = 0; f < 50; f++) makeTree(root, { [`d${d}/f${f}`]: '' });
    const progress: { done: boolean; aborted?: boolean; entriesScanned: number; dirsPending: number }[] = [];
    const { src } = harness({ root, realtime: false, batchSize: 10, events: { progress: (p) => progress.push(p) } });
    await src.start();
    const ac = new AbortController();
    let seen = 0;
    for await (const b of src.snapshot({ signal: ac.signal })) {
      seen += b.length;
      if (seen >= 100) ac.abort();
    }
    expect(seen).toBeLessThan(200);
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ done: true, aborted: true });
    expect(last.dirsPending).toBeGreaterThan(0);
    // A full scan finishes with done and no pending directories.
    const all = await collect(src.snapshot());
    expect(all.length).toBe(1 + 40 + 2000);
    expect(progress.at(-1)).toMatchObject({ done: true, dirsPending: 0, entriesScanned: 2041 });
    expect(src.progress()).toBeNull();
  });

  it('stat workers and the main-thread walk report exactly the same events', async () => {
    const root = tempDir();
    for (let d = 0; d < 5; d++) for (let f = 0; f < 40; f++) makeTree(root, { [`d${d}/sub/f${f}.dat`]: 'x'.repeat(f) });
    makeTree(root, { 'd0/x.tmp': '', 'd1/50%.txt': '1', 'nl\nname/f': '1' });
    fs.writeFileSync(Buffer.concat([Buffer.from(root + '/d2/bad'), Buffer.from([0xff])]), 'z');
    fs.symlinkSync('/etc', join(root, 'd3/link'));
    const strip = (e: UpsertEvent): UpsertEvent => ({ ...e, observed_at_ms: 0 });
    const run = async (scanWorkers: number) => {
      const { src } = harness({ root, realtime: false, scanWorkers, exclude: ['**/*.tmp'], batchSize: 7 });
      await src.start();
      return (await collect(src.snapshot())).map(strip).sort((a, b) => (a.path < b.path ? -1 : 1));
    };
    const inThread = await run(0);
    expect(inThread.length).toBe(1 + 5 * 2 + 200 + 1 + 1 + 1 + 1 + 1);
    expect(await run(1)).toEqual(inThread);
    expect(await run(2)).toEqual(inThread);
  });
});
