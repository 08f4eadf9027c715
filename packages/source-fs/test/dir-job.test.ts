// The stat job shared by the stat worker and the main thread: Node's lstat binding and the native job must give what fs.lstatSync gives, or not be used.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fastLstat, K_DIR, K_STAT, K_VANISHED, listDirJob, nativeState, runDirJob, ST_STRIDE, type NativeScan, type NativeState } from '../src/scan/dir-job.js';
import { nativeScanPath, nativeScanTrusted } from '../src/scan/native-scan.js';
import { StatPool } from '../src/scan/stat-pool.js';
import { makeTree, tempDir } from './helpers.js';

function sampleDir(): string {
  const root = tempDir();
  makeTree(root, { 'a.dat': 'hello', 'sub/': '', 'sub/x': '1', 'empty.dat': '' });
  fs.symlinkSync('a.dat', join(root, 'link'));
  fs.chmodSync(join(root, 'a.dat'), 0o640);
  fs.utimesSync(join(root, 'a.dat'), new Date(1_600_000_000_123), new Date(1_600_000_000_456.5));
  return root;
}

describe('dir-job', () => {
  const binding = (process as unknown as { binding: unknown }).binding;
  afterEach(() => {
    (process as unknown as { binding: unknown }).binding = binding;
  });

  it("the fast lstat (Node's binding) and fs.lstatSync produce the same job, entry for entry", () => {
    const root = sampleDir();
    const fast = fastLstat(fs, root);
    expect(fast).not.toBeNull(); // Node 20 has it; without it the job falls back (next test)
    const a = listDirJob(fs, fast, root);
    const b = listDirJob(fs, null, root);
    expect(a.redo).toBeUndefined();
    expect(a.names).toBe(b.names);
    expect([...a.types!]).toEqual([...b.types!]);
    expect([...a.st!]).toEqual([...b.st!]);
    const names = a.names!.split('\0');
    const i = names.indexOf('a.dat');
    const s = fs.lstatSync(join(root, 'a.dat'));
    expect(a.types![i]).toBe(K_STAT);
    expect([...a.st!.subarray(i * ST_STRIDE, (i + 1) * ST_STRIDE)]).toEqual([s.size, s.mtimeMs, s.ctimeMs, s.uid, s.gid, s.mode]);
    expect(a.types![names.indexOf('sub')]).toBe(K_DIR);
    const link = names.indexOf('link');
    expect(a.st![link * ST_STRIDE + 5]! & 0o170000).toBe(0o120000); // the link itself, not its target
  });

  it('falls back to fs.lstatSync where the binding is missing or throws', () => {
    const root = sampleDir();
    (process as unknown as { binding: unknown }).binding = () => {
      throw new Error('DEP0111: process.binding is not available');
    };
    expect(fastLstat(fs, root)).toBeNull();
    (process as unknown as { binding: unknown }).binding = () => ({});
    expect(fastLstat(fs, root)).toBeNull();
    // A binding whose numbers disagree with fs.lstatSync (another layout) is not used either.
    (process as unknown as { binding: unknown }).binding = () => ({ lstat: () => new Float64Array(36) });
    expect(fastLstat(fs, root)).toBeNull();
  });

  it('an entry gone between the listing and its lstat is K_VANISHED; an unreadable directory asks for a redo', () => {
    const root = sampleDir();
    const fast = fastLstat(fs, root);
    const gone = (p: string) => (p.endsWith('/a.dat') ? undefined : fast!(p));
    const r = listDirJob(fs, gone, root);
    expect(r.types![r.names!.split('\0').indexOf('a.dat')]).toBe(K_VANISHED);
    expect(listDirJob(fs, fast, join(root, 'missing'))).toEqual({ redo: true });
  });

  it('the worker runs the same job: its answer equals the main-thread run', async () => {
    const root = sampleDir();
    const pool = new StatPool(1);
    try {
      const inWorker = await pool.run(root);
      const here = pool.runHere(root);
      expect(inWorker.names).toBe(here.names);
      expect([...inWorker.types!]).toEqual([...here.types!]);
      expect([...inWorker.st!]).toEqual([...here.st!]);
    } finally {
      await pool.close();
    }
  });
});

describe('native directory job', () => {
  const path = nativeScanPath();
  const load = createRequire(import.meta.url);

  it('CI builds it (npm run build compiles native/list-dir.c), so the suites below run on it', () => {
    if (!process.env.CI) return; // a machine without a C compiler keeps the JavaScript job
    expect(path, 'packages/source-fs/native/build/Release/fustor_scan.node is missing: run `npm run build`').not.toBeNull();
  });

  it('FUSTOR_NATIVE_SCAN=0 turns it off', () => {
    expect(nativeScanPath({ FUSTOR_NATIVE_SCAN: '0' })).toBeNull();
  });

  // Without the addon (no compiler here) there is nothing native to compare; CI always has it (test above).
  it.skipIf(path === null)('gives exactly the JavaScript job: names (in the same order), types, numbers; redo where it cannot list', () => {
    const root = sampleDir();
    for (let i = 0; i < 40; i++) fs.writeFileSync(join(root, `f${(i * 7919) % 101}`), 'x'.repeat(i));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    const native = (load(path!) as NativeScan).listDir(root)!;
    const js = listDirJob(fs, fastLstat(fs, root), root);
    expect(native.names).toBe(js.names);
    expect([...native.types]).toEqual([...js.types!]);
    expect([...native.st]).toEqual([...js.st!]);
    expect((load(path!) as NativeScan).listDir(join(root, 'missing'))).toBeNull();
    expect((load(path!) as NativeScan).listDir(join(root, 'a.dat'))).toBeNull(); // not a directory
  });

  it.skipIf(path === null)('a name that is not UTF-8 makes the directory a redo (the main thread reads it as bytes)', () => {
    const root = tempDir();
    fs.writeFileSync(Buffer.concat([Buffer.from(root + '/bad-'), Buffer.from([0xff, 0xfe])]), 'x');
    const st: NativeState = { scan: null, probesLeft: 3 };
    expect(runDirJob(load, fs, fastLstat(fs, root), path, st, root)).toEqual({ redo: true }); // the JavaScript job says so
    st.scan = load(path!) as NativeScan;
    expect(runDirJob(load, fs, fastLstat(fs, root), path, st, root)).toEqual({ redo: true }); // and so does the native one
  });

  it('switches to the native job only after it agreed with the JavaScript job, probing at most three directories', () => {
    const root = sampleDir();
    const fast = fastLstat(fs, root);
    const js = listDirJob(fs, fast, root);
    const agreeing: NativeScan = { listDir: () => ({ names: js.names!, types: js.types!, st: js.st! }) };
    const disagreeing: NativeScan = { listDir: () => ({ names: js.names!, types: js.types!, st: js.st!.map((v, i) => (i === 1 ? v + 1 : v)) }) };
    let st: NativeState = { scan: null, probesLeft: 3 };
    for (let i = 0; i < 5; i++) expect(runDirJob(() => disagreeing, fs, fast, '/x.node', st, root).native).toBeUndefined();
    expect(st).toEqual({ scan: null, probesLeft: 0 });
    st = { scan: null, probesLeft: 3 };
    expect(runDirJob(() => agreeing, fs, fast, '/x.node', st, root).native).toBeUndefined(); // the probe answers with the JavaScript result
    expect(st.scan).toBe(agreeing);
    expect(runDirJob(() => agreeing, fs, fast, '/x.node', st, root).native).toBe(true);
    st = { scan: null, probesLeft: 3 };
    runDirJob(() => { throw new Error('cannot load'); }, fs, fast, '/x.node', st, root);
    expect(st).toEqual({ scan: null, probesLeft: 0 });
    st = { scan: null, probesLeft: 3 };
    expect(runDirJob(() => agreeing, fs, fast, null, st, root)).toEqual(js); // not built: JavaScript only
    expect(st.probesLeft).toBe(3);
  });

  it('regression: a directory with nothing to lstat (empty, or subdirectories only) neither switches nor uses up a probe', () => {
    const root = tempDir();
    makeTree(root, { 'a/': '', 'b/': '' });
    const js = listDirJob(fs, fastLstat(fs, root), root);
    const agreeing: NativeScan = { listDir: () => ({ names: js.names!, types: js.types!, st: js.st! }) };
    const st: NativeState = { scan: null, probesLeft: 3 };
    for (let i = 0; i < 5; i++) runDirJob(() => agreeing, fs, fastLstat(fs, root), '/x.node', st, root);
    expect(st).toEqual({ scan: null, probesLeft: 3 });
  });

  it('FUSTOR_TEST_NATIVE_SCAN_TRUST=1 starts on the native job without probing (tests only)', () => {
    const fake: NativeScan = { listDir: () => null };
    expect(nativeState(() => fake, '/x.node', true)).toEqual({ scan: fake, probesLeft: 0 });
    expect(nativeState(() => fake, '/x.node', false)).toEqual({ scan: null, probesLeft: 3 });
    expect(nativeState(() => fake, null, true)).toEqual({ scan: null, probesLeft: 3 });
    expect(nativeScanTrusted({ FUSTOR_TEST_NATIVE_SCAN_TRUST: '1' })).toBe(true);
    expect(nativeScanTrusted({})).toBe(false);
  });

  it.skipIf(path === null)('the stat worker and the main thread both move to it and still answer alike', async () => {
    const root = sampleDir();
    const pool = new StatPool(1, path, false);
    try {
      await pool.run(root); // the probe
      pool.runHere(root);
      const inWorker = await pool.run(root);
      const here = pool.runHere(root);
      expect(inWorker.native).toBe(true);
      expect(here.native).toBe(true);
      expect(pool.nativeHere).toBe(true);
      expect(inWorker.names).toBe(here.names);
      expect([...inWorker.st!]).toEqual([...here.st!]);
    } finally {
      await pool.close();
    }
  });
});
