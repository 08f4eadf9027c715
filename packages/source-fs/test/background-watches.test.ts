// Watches added in the background at start: the snapshot begins before thousands of watches are in
// place, so it has each directory's watch added right before it lists it (nothing it lists goes unwatched).

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFsLayer, type FsLayer, type LocalPath } from '../src/fs-layer.js';
import { collect, harness, makeTree, secondsAgo, tempDir } from './helpers.js';

const DIRS = 600;

/** The real fs, logging watch and (walker) readdir calls in one sequence. */
function logging(): { layer: Partial<FsLayer>; log: string[] } {
  const log: string[] = [];
  return {
    log,
    layer: {
      watch: (p: LocalPath, listener) => {
        log.push(`watch ${String(p)}`);
        return nodeFsLayer.watch(p, listener);
      },
      readdir: (p: LocalPath) => {
        log.push(`list ${String(p)}`);
        return nodeFsLayer.readdir(p);
      },
    },
  };
}

describe('background watches at start (native backend)', () => {
  it('regression: a snapshot started while watches are still being added lists no watched directory before its watch', async () => {
    const root = tempDir();
    const spec: Record<string, string> = {};
    for (let i = 0; i < DIRS; i++) spec[`d${String(i).padStart(3, '0')}/f.dat`] = 'x';
    makeTree(root, spec);
    // Later directories are more recent, so the watch plan (most recent first) runs opposite to the
    // walk (breadth-first, name order): without the walker's ensureWatched the snapshot would list
    // the early directories long before the background reached them.
    for (let i = 0; i < DIRS; i++) fs.utimesSync(join(root, `d${String(i).padStart(3, '0')}`), secondsAgo(DIRS + 100 - i), secondsAgo(DIRS + 100 - i));
    const { layer, log } = logging();
    const { src } = harness({ root, writeSettleMs: 0, watcher: 'native', fs: layer, maxWatchedDirs: DIRS - 10 });
    await src.start();
    const events = await collect(src.snapshot());
    expect(events.filter((e) => !e.is_dir)).toHaveLength(DIRS);

    const watchedAt = new Map<string, number>();
    const listedAt = new Map<string, number>();
    log.forEach((l, i) => {
      const [op, p] = [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)];
      // A directory's first watch; its last listing (start() also reads the root once, before any watch).
      if (op === 'list') listedAt.set(p, i);
      else if (!watchedAt.has(p)) watchedAt.set(p, i);
    });
    // The budget leaves the 10 least recent directories (and only them) unwatched.
    expect(watchedAt.size).toBe(DIRS - 10);
    const firstList = Math.min(...listedAt.values());
    // The background was still adding watches when the snapshot began (else this test proves nothing).
    expect([...watchedAt.values()].filter((i) => i > firstList).length).toBeGreaterThan(100);
    for (const [dir, at] of listedAt) {
      const w = watchedAt.get(dir);
      if (w !== undefined) expect(w, `${dir} watched before it was listed`).toBeLessThan(at);
    }
    // And once the background is done every chosen directory is watched: realtime covers the tree.
    await src.watchesSettled?.();
    expect(watchedAt.size).toBe(DIRS - 10);
    expect(src.coverage()).toMatchObject({ watchedDirs: DIRS - 10 });
  });
});
