// NodeStore writes the chunks a commit fills whole instead of logging them (a snapshot filling a view), and
// only chunks no log record touches: what is on disk always rebuilds to the state in memory.

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileEvent } from '@fustor/protocol';
import { seededRandom } from '@fustor/test-helpers';
import { NodeStore } from '../../src/store/node-codec.js';
import { chunkTable, logTable } from '../../src/store/schema.js';
import { checkAggregates, dumpView } from './dump.js';
import { del, dir, Harness, OLD, up } from './harness.js';

/** Rows of the view's node log and chunk tables, read beside the open store (WAL: a reader sees the commits). */
function rows(h: Harness): { log: number; logRecords: number; chunks: number } {
  const db = new Database(h.path, { readonly: true });
  try {
    const log = db.prepare(`SELECT count(*) AS n, coalesce(sum(count), 0) AS r FROM ${logTable(1)}`).get() as { n: number; r: number };
    const chunks = db.prepare(`SELECT count(*) AS n FROM ${chunkTable(1)}`).get() as { n: number };
    return { log: log.n, logRecords: log.r, chunks: chunks.n };
  } finally {
    db.close();
  }
}

/** A snapshot batch creating `n` files in directory `d` (plus the directory). */
function fill(d: string, n: number, mtime = OLD): FileEvent[] {
  const out: FileEvent[] = [dir(d, mtime)];
  for (let i = 0; i < n; i++) out.push(up(`${d}/f${i}`, mtime - i, { size: i }));
  return out;
}

function expectReloadsTheSame(h: Harness): void {
  const before = dumpView(h.v);
  const reopened = h.open();
  try {
    expect(dumpView(reopened.view('v')!)).toEqual(before);
    expect(checkAggregates(reopened.view('v')!)).toEqual([]);
  } finally {
    reopened.close();
  }
}

describe('whole-chunk writes of the node store', () => {
  let h: Harness | null = null;
  const minRecords = NodeStore.minCheckpointRecords;
  afterEach(() => {
    h?.close();
    h = null;
    NodeStore.minCheckpointRecords = minRecords;
  });

  it('a snapshot filling an empty view is written as chunks, not logged', () => {
    h = new Harness({ file: true, synchronous: 'normal' });
    h.send('snapshot', fill('/a', 9000));
    const r = rows(h);
    expect(r.chunks).toBeGreaterThanOrEqual(2);
    // Only the nodes of chunks the batch did not fill at least half of are logged.
    expect(r.logRecords).toBeLessThan(2048);
    expectReloadsTheSame(h);
  });

  it('regression: a chunk with a logged change is not written whole by a later big commit (the older record would undo it at load)', () => {
    h = new Harness({ file: true, synchronous: 'normal' });
    h.send('snapshot', fill('/a', 3000));
    // A small change: logged, its chunk now has a log record.
    h.send('realtime', [up('/a/f7', OLD + 5, { size: 777 })]);
    expect(rows(h).logRecords).toBeGreaterThan(0);
    // A big commit over the same chunk: /a/f7 changes again, and must keep its newest size after a reload.
    const again = fill('/a', 3000, OLD + 1000).map((e) => (e.op === 'upsert' && e.path === '/a/f7' ? { ...e, size: 999, mtime_ms: OLD + 2000 } : e));
    h.send('snapshot', again);
    expect(h.node('/a/f7')?.size).toBe(999);
    expectReloadsTheSame(h);
  });

  for (const [seed, frequentFolds] of [[1, false], [2, true], [3, false], [4, true]] as const) {
    it(`random big and small commits, deletions and folds rebuild to the same view (seed ${seed}${frequentFolds ? ', frequent folds' : ''})`, () => {
      if (frequentFolds) NodeStore.minCheckpointRecords = 500;
      h = new Harness({ file: true, synchronous: 'normal' });
      const r = seededRandom(seed);
      const dirs: string[] = [];
      for (let step = 0; step < 40; step++) {
        const x = r();
        if (x < 0.35 || dirs.length === 0) {
          const d = `/d${step}`;
          dirs.push(d);
          h.send('snapshot', fill(d, 500 + Math.floor(r() * 5000)));
        } else if (x < 0.7) {
          const d = dirs[Math.floor(r() * dirs.length)]!;
          const events = Array.from({ length: 1 + Math.floor(r() * 20) }, () => up(`${d}/f${Math.floor(r() * 600)}`, OLD + step * 1000, { size: Math.floor(r() * 1e6) }));
          h.send('realtime', events);
        } else if (x < 0.85) {
          const i = Math.floor(r() * dirs.length);
          h.send('realtime', [del(dirs[i]!)]);
          dirs.splice(i, 1);
        } else {
          // Re-list a directory: many nodes of its (possibly reused) chunks change at once.
          const d = dirs[Math.floor(r() * dirs.length)]!;
          h.send('audit', fill(d, 200 + Math.floor(r() * 3000), OLD + step * 1000));
        }
        if (step % 10 === 9) expectReloadsTheSame(h);
      }
      expectReloadsTheSame(h);
    });
  }
});
