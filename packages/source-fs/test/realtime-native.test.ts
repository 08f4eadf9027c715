// Native (inotify) backend only: the watch budget, the kernel's watch limit, raw-byte names.
// chokidar has no budget (it watches every directory and file), opens its watches with node:fs
// itself (the fs layer cannot inject failures into it) and reads names as UTF-8 strings.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FsLayer, FsSourceOptions } from '@fustor/source-fs';
import { collect, harness as baseHarness, has, makeTree, secondsAgo, tempDir, waitFor } from './helpers.js';

describe('realtime, native backend', () => {
  const harness = (o: FsSourceOptions) => baseHarness({ ...o, watcher: 'native' });

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

  it('names that are not valid UTF-8 are encoded identically by the watcher and the scans', async () => {
    const root = tempDir();
    const { src, realtime, issues } = harness({ root, writeSettleMs: 0 });
    await src.start();
    fs.writeFileSync(Buffer.concat([Buffer.from(root + '/x'), Buffer.from([0xff]), Buffer.from('\n.dat')]), 'z');
    await waitFor(() => has(realtime, 'upsert', '/x%FF%0A.dat'), 'encoded realtime name');
    const snap = await collect(src.snapshot());
    expect(snap.some((e) => e.path === '/x%FF%0A.dat')).toBe(true);
    expect(issues.filter((i) => i.kind === 'invalid_name')).toHaveLength(1);
  });

  it('inotify watch exhaustion (ENOSPC) is reported once as watch_limit and makes can_realtime false', async () => {
    const root = tempDir();
    makeTree(root, { 'a/': '', 'b/': '', 'c/': '' });
    const real = (await import('node:fs')).watch;
    const fsLayer: Partial<FsLayer> = {
      watch: (p, listener) => {
        if (String(p).endsWith('/b') || String(p).endsWith('/c')) {
          throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
        }
        return real(p, { encoding: 'buffer' }, listener);
      },
    };
    const coverage: boolean[] = [];
    const { src, issues, realtime } = harness({ root, writeSettleMs: 0, fs: fsLayer, events: { coverage: (c) => coverage.push(c.canRealtime) } });
    await src.start();
    expect(src.coverage()).toMatchObject({ watchedDirs: 2, knownDirs: 4, canRealtime: false });
    expect(coverage.at(-1)).toBe(false);
    expect(issues.filter((i) => i.kind === 'watch_limit')).toHaveLength(2);
    // The directories that could be watched still work.
    fs.writeFileSync(join(root, 'a/f'), 'x');
    await waitFor(() => has(realtime, 'upsert', '/a/f'), 'event in watched dir');
  });
});
