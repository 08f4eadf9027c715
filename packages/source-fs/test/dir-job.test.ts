// The stat job shared by the stat worker and the main thread: Node's lstat binding must give what fs.lstatSync gives, or not be used.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fastLstat, K_DIR, K_STAT, K_VANISHED, listDirJob, ST_STRIDE } from '../src/scan/dir-job.js';
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
