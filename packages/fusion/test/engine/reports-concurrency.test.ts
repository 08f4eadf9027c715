// Reports scan in slices while ingest goes on: the tree changing between slices (removals, recycled ids, a vanished scope) never crashes a report or shows a freed node.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileEvent } from '@fustor/protocol';
import { slicing } from '../../src/reports/subtree-slices.js';
import { Harness, OLD, up } from './harness.js';

const DIRS = 20;
const FILES = 40;
const defaultSlice = slicing.nodes;

let h: Harness;
/** Every file path that existed at any moment of the test: a report may mix before and after, never invent. */
let ever: Set<string>;

function send(events: FileEvent[]): void {
  for (const e of events) if (e.op === 'upsert' && !e.is_dir) ever.add(e.path);
  h.send('realtime', events);
}

beforeEach(() => {
  h = new Harness();
  ever = new Set();
  for (let d = 0; d < DIRS; d++) {
    send(Array.from({ length: FILES }, (_, f) => up(`/d${d}/f${f}`, OLD + f, { size: d * 100 + f, uid: d % 4, gid: f % 3, kind: 'file', is_atomic_write: true })));
  }
  slicing.nodes = 8;
});
afterEach(() => {
  slicing.nodes = defaultSlice;
  h.close();
});

/** Runs `report` while, at every turn of the event loop, a directory is removed and new files take the freed ids. */
async function whileChurning<T>(report: () => Promise<T>, churn: (turn: number) => void): Promise<{ result: T; turns: number }> {
  let done = false;
  const p = report().finally(() => {
    done = true;
  });
  let turns = 0;
  while (!done) {
    churn(turns++);
    await new Promise((r) => setImmediate(r));
  }
  return { result: await p, turns };
}

/** Removes the biggest directories first: the files a top-by-size heap holds are the ones freed. */
const removeAndRecycle = (turn: number) => {
  const d = DIRS - 1 - (turn % DIRS);
  send([{ op: 'delete', path: `/d${d}` }]);
  send(Array.from({ length: 10 }, (_, f) => up(`/d${d}/g${turn}_${f}`, OLD + turn, { size: turn, uid: 7, kind: 'file', is_atomic_write: true })));
};

describe('reports under concurrent change', () => {
  it('top at the root (column scan): every item is a real file, none freed', async () => {
    const { result, turns } = await whileChurning(() => h.v.top({ path: '/', by: 'size', order: 'desc', type: 'file', limit: 50 }), removeAndRecycle);
    expect(turns).toBeGreaterThan(10);
    expect(result.length).toBeGreaterThan(0);
    for (const n of result) {
      expect(ever.has(n.path), n.path).toBe(true);
      expect(n.name).not.toBe('');
      expect(n.is_dir).toBe(false);
    }
  });

  it('usage and histogram at the root count no more files than ever existed', async () => {
    const u = await whileChurning(() => h.v.usage({ path: '/', by: 'owner', page: 1, page_size: 100 }), removeAndRecycle);
    expect(u.result.items.reduce((a, i) => a + i.file_count, 0)).toBeLessThanOrEqual(ever.size);
    const hg = await whileChurning(() => h.v.histogram({ path: '/', of: 'size' }), removeAndRecycle);
    expect(hg.result.file_count).toBeLessThanOrEqual(ever.size);
    expect(hg.result.bins.reduce((a, b) => a + b.file_count, 0)).toBe(hg.result.file_count);
  });

  it('a walked subtree whose directories are removed and refilled mid-scan', async () => {
    send([up('/small/x/y/z/f', OLD, { size: 1, is_atomic_write: true }), up('/small/x/q', OLD, { size: 2, is_atomic_write: true })]);
    for (let i = 0; i < 40; i++) send([up(`/small/x/y/k${i}`, OLD, { size: 3, is_atomic_write: true })]);
    const churn = (turn: number) => {
      send([{ op: 'delete', path: turn % 2 === 0 ? '/small/x/y' : '/small/x/q' }]);
      send([up(`/small/x/y/n${turn}`, OLD, { size: 4, is_atomic_write: true }), up(`/small/x/q/m${turn}`, OLD, { size: 5, is_atomic_write: true })]);
    };
    const { result } = await whileChurning(() => h.v.top({ path: '/small', by: 'size', order: 'asc', type: 'file', limit: 1000 }), churn);
    for (const n of result) expect(ever.has(n.path), n.path).toBe(true);
  });

  it('the scope removed mid-scan (and its id taken by a new file at the same path): the report ends, no crash', async () => {
    const churn = (turn: number) => {
      if (turn !== 2) return;
      send([{ op: 'delete', path: '/d3' }]);
      send([up('/d3', OLD, { size: 9, is_atomic_write: true })]);
    };
    const { result } = await whileChurning(() => h.v.usage({ path: '/d3', by: 'group', page: 1, page_size: 100 }), churn);
    const counted = result.items.reduce((a, i) => a + i.file_count, 0);
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThan(FILES);
    // Once the tree is quiet, the same report answers the new state exactly.
    expect((await h.v.usage({ path: '/d3', by: 'group', page: 1, page_size: 100 })).items).toEqual([
      { gid: null, name: null, file_count: 1, dir_count: 0, total_size: 9, latest_mtime_ms: OLD },
    ]);
  });

  it('a reset mid-scan: the report finishes over the index it started on', async () => {
    const { result } = await whileChurning(
      () => h.v.histogram({ path: '/', of: 'size' }),
      (turn) => {
        if (turn === 3) h.v.reset();
      },
    );
    expect(result.file_count).toBe(DIRS * FILES);
    expect(h.v.counters().file_count).toBe(0);
  });
});
