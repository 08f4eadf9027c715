// R9: an agent whose clock is one hour off (ahead or behind), on a machine that stamps its files with that clock:
// the tree is right, and the hot-file verdicts (stats `stable`, suspects) follow the files' own clock (skew histogram).

import { mkdirSync, readdirSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTree } from '@fustor/test-helpers';
import { describe, expect, test } from 'vitest';
import { waitForOracle } from './helpers/oracle.js';
import { notYet, waitFor } from './helpers/wait.js';
import { AgentNode, FusionNode, World } from './helpers/world.js';

const HOUR = 3_600_000;
/** Long enough that "still hot right after the write" holds on a loaded machine. */
const HOT_SEC = 12;

/**
 * Sets every file's and directory's mtime to what a clock `offset` ms off would have stamped. Directories
 * too: storage stamps a directory with the same clock as its files, and a directory's own mtime counts in
 * its subtree's newest mtime (a folder just changed is hot).
 */
function shiftFiles(dir: string, offset: number): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) shiftFiles(p, offset);
    else utimesSync(p, st.atime, new Date(st.mtimeMs + offset));
  }
  const st = statSync(dir);
  utimesSync(dir, st.atime, new Date(st.mtimeMs + offset));
}

/** Writes a file as that machine would: its content, then its clock's mtime, then moved into place. */
function writeSkewed(data: string, path: string, offset: number, content: string): void {
  const tmp = join(data, '..', 'staging', path.replaceAll('/', '_'));
  mkdirSync(join(data, '..', 'staging'), { recursive: true });
  writeFileSync(tmp, content);
  const now = Date.now() + offset;
  utimesSync(tmp, new Date(now), new Date(now));
  const dest = join(data, path);
  renameSync(tmp, dest);
  // The rename changed the directory: stamp it with the same clock.
  utimesSync(join(dest, '..'), new Date(now), new Date(now));
}

describe('clock skew (R9)', () => {
  test.each([
    ['one hour ahead', HOUR],
    ['one hour behind', -HOUR],
  ])('agent clock %s: the tree is right and a fresh file is hot, then stable, by the files’ clock', async (_label, offset) => {
    const w = World.create(`skew${offset > 0 ? 'ahead' : 'behind'}`);
    const data = w.dir('data');
    generateTree(data, 3, 5);
    shiftFiles(data, offset);
    const fusion = await FusionNode.start(w, { hotFileThresholdSec: HOT_SEC });
    await AgentNode.start(w, fusion, {
      agentId: 'skewed',
      pipes: [{ id: 'p', dir: data, view: 'research' }],
      env: { FUSTOR_TEST_CLOCK_OFFSET_MS: String(offset) },
    });
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 30_000 });

    // Realtime writes teach Fusion the storage clock (its skew histogram samples receive time − mtime).
    for (let i = 0; i < 40; i++) writeSkewed(data, `d000/learn${i}.dat`, offset, `sample ${i}`);
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 30_000 });
    const learned = await waitFor(
      async () => {
        const st = await fusion.client.stats('research', '/');
        const skewMs = Date.now() - st.watermark_ms;
        return Math.abs(skewMs + offset) < 5_000 ? st : notYet(`watermark is ${Math.round(skewMs / 1000)} s behind now`);
      },
      { timeoutMs: 30_000, what: `the watermark to follow the files' clock (${offset / 1000} s)` },
    );
    expect(learned.watermark_ms).toBeGreaterThan(0);

    // A file just written is hot: its directory is not stable, however the clocks disagree.
    writeSkewed(data, 'd001/fresh.dat', offset, 'being written');
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 30_000 });
    const hot = await fusion.client.stats('research', '/d001');
    expect(hot.stable, `right after the write (threshold ${HOT_SEC} s)`).toBe(false);
    // …and once left alone for the threshold, it is stable: not an hour later, not at once.
    const settled = await waitFor(
      async () => {
        const st = await fusion.client.stats('research', '/d001');
        return st.stable ? st : notYet(JSON.stringify(st));
      },
      { timeoutMs: (HOT_SEC + 30) * 1000, what: '/d001 to turn stable after the hot threshold' },
    );
    expect(settled.suspect_count).toBe(0);
    const suspects = await fusion.client.get<{ items: unknown[] }>('/api/v1/views/research/suspects?page_size=1000');
    expect(suspects.items).toEqual([]);
    // a directory nobody touched since the start is stable too
    expect((await fusion.client.stats('research', '/d002')).stable).toBe(true);
    await waitForOracle(fusion.client, 'research', data);
  });
});
