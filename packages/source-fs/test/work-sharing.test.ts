// Snapshot with the stat worker queue full (more directories than the worker may hold): the main thread takes the rest.

import { describe, expect, it } from 'vitest';
import { collect, harness, makeTree, tempDir } from './helpers.js';

describe('work sharing between the stat worker and the main thread', () => {
  it('regression: a wide tree (directories beyond the worker queue) yields every entry once, each directory before its children', async () => {
    const root = tempDir();
    const spec: Record<string, string> = {};
    for (let a = 0; a < 30; a++) for (let b = 0; b < 4; b++) for (let f = 0; f < 3; f++) spec[`d${a}/e${b}/f${f}.dat`] = 'x'.repeat(f);
    makeTree(root, spec);
    const { src, issues } = harness({ root, realtime: false, scanConcurrency: 32 });
    await src.start();
    const events = await collect(src.snapshot());
    const paths = events.map((e) => e.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths.length).toBe(1 + 30 + 120 + 360);
    const seen = new Map<string, number>();
    for (const e of events) {
      if (e.path !== '/') {
        expect(seen.has(e.parent_path!), `${e.path} after its parent`).toBe(true);
        expect(e.parent_mtime_ms).toBe(events[seen.get(e.parent_path!)!]!.mtime_ms);
      }
      seen.set(e.path, seen.size);
    }
    expect(events.find((e) => e.path === '/d29/e3/f2.dat')).toMatchObject({ is_dir: false, size: 2 });
    expect(issues).toEqual([]);
  });
});
