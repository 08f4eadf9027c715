// The start-up directory census: leaf directories skipped by st_nlink only where the file system counts subdirectories.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFsLayer, type FsLayer, type LocalPath } from '../src/fs-layer.js';
import { createFilters } from '../src/filters.js';
import { IssueReporter } from '../src/issues.js';
import { census } from '../src/watch/census.js';
import { makeTree, tempDir } from './helpers.js';

const noFilters = createFilters('*', []);

/** A real fs layer counting directory reads, optionally reporting a fixed nlink for every directory. */
function counting(fakeNlink?: number): { layer: FsLayer; reads: string[] } {
  const reads: string[] = [];
  const layer: FsLayer = {
    ...nodeFsLayer,
    readdirSync: (p: LocalPath) => {
      reads.push(String(p));
      return nodeFsLayer.readdirSync(p);
    },
    lstatSync: (p: LocalPath) => {
      const st = nodeFsLayer.lstatSync(p);
      if (st !== undefined && fakeNlink !== undefined && st.isDirectory()) st.nlink = fakeNlink;
      return st;
    },
  };
  return { layer, reads };
}

function sampleTree(): string {
  const root = tempDir();
  makeTree(root, { 'a/b/c/f.dat': '1', 'a/b/g.dat': '1', 'a/leaf/': '', 'e/': '', 'e/h.dat': '1', 'top.dat': '1' });
  return root;
}

const ALL = ['/', '/a', '/e', '/a/b', '/a/leaf', '/a/b/c'];

describe('census', () => {
  it('finds every directory; reads only directories with subdirectories when the root nlink matches its subdirectories', async () => {
    const root = sampleTree();
    const { layer, reads } = counting();
    const r = await census(layer, root, noFilters, new IssueReporter(undefined), Number.MAX_SAFE_INTEGER);
    expect(r.complete).toBe(true);
    expect(r.dirs.map((d) => d.view)).toEqual(ALL);
    expect(r.dirs.map((d) => d.mtimeMs)).toEqual(r.dirs.map((d) => fs.lstatSync(d.local as string).mtimeMs));
    const counts = fs.lstatSync(root).nlink === 2 + 2; // ext4, xfs, tmpfs: yes; btrfs: no
    const expected = counts ? [root, join(root, 'a'), join(root, 'a/b')] : ALL.map((v) => (v === '/' ? root : join(root, v)));
    expect(reads.sort()).toEqual(expected.sort());
  });

  it('btrfs-like nlink 1 on every directory: reads them all, misses none', async () => {
    const root = sampleTree();
    const { layer, reads } = counting(1);
    const r = await census(layer, root, noFilters, new IssueReporter(undefined), Number.MAX_SAFE_INTEGER);
    expect(r.dirs.map((d) => d.view)).toEqual(ALL);
    expect(reads).toHaveLength(ALL.length);
  });

  it('regression: an nlink of 2 on directories that do have subdirectories (untrustworthy server) is caught by the root probe', async () => {
    const root = sampleTree();
    const { layer, reads } = counting(2);
    const r = await census(layer, root, noFilters, new IssueReporter(undefined), Number.MAX_SAFE_INTEGER);
    expect(r.dirs.map((d) => d.view)).toEqual(ALL);
    expect(reads).toHaveLength(ALL.length);
  });
});
