// One storage test suite, run against both backends (SQLite file, real PostgreSQL): what is committed comes back.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FileEvent } from '@fustor/protocol';
import type { EngineClocks, ViewConfig, ViewEngine, ViewStore } from '../../src/contract.js';
import { toEntry } from '../../src/feed/entry.js';
import { NodeStore } from '../../src/store/node-codec.js';
import { PgViewStore } from '../../src/store/postgres/pg-store.js';
import { FOLD } from '../../src/store/postgres/pg-view-persistence.js';
import { openViewStore } from '../../src/views/open-view-store.js';
import { PgCluster } from '../pg/pg-cluster.js';

const T0 = 1_700_000_000_000;
const VIEW: ViewConfig = { id: 'v', hot_file_threshold_sec: 60, tombstone_ttl_sec: 3600 };

interface Opened {
  store: ViewStore;
  v: ViewEngine;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  /** A fresh, empty database for one test. */
  fresh(): Promise<void>;
  open(clocks: EngineClocks): Promise<Opened>;
  dispose(): Promise<void>;
}

let pg: PgCluster | null = null;
let dbNo = 0;

const sqlite: Backend = (() => {
  let dir = '';
  return {
    name: 'sqlite',
    async fresh() {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = mkdtempSync(join(tmpdir(), 'fustor-store-suite-'));
    },
    async open(clocks) {
      const store = openViewStore({ path: join(dir, 'fusion.db'), views: [VIEW], clocks });
      return { store, v: store.view('v')!, close: async () => store.close() };
    },
    async dispose() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
})();

const postgres: Backend = (() => {
  let url = '';
  return {
    name: 'postgres',
    async fresh() {
      pg ??= await PgCluster.start();
      const db = `suite_${++dbNo}`;
      pg.psql(`CREATE DATABASE ${db}`);
      url = pg.url.replace(/\/fustor$/, `/${db}`);
    },
    async open(clocks) {
      const store = await PgViewStore.open({ path: '', url, views: [VIEW], clocks });
      // This test process owns the view: the lease row names it, as a cluster node's lease manager would.
      await store.pool.query(`UPDATE view_leases SET owner = 'suite', epoch = 1, expires_at = now() + interval '1 hour' WHERE view = 'v'`);
      const v = await store.attach('v', { view: 'v', owner: 'suite', epoch: 1 });
      return { store, v, close: () => store.closeAndWait() };
    },
    async dispose() {
      pg?.destroy();
      pg = null;
    },
  };
})();

const file = (path: string, extra: Partial<Extract<FileEvent, { op: 'upsert' }>> = {}): FileEvent => ({
  // A day old: not hot, so only the events that say so make suspects.
  op: 'upsert', path, is_dir: false, size: 10, mtime_ms: T0 - 86_400_000, kind: 'file', uid: 1000, gid: 100, mode: 0o644, ctime_ms: T0, ...extra,
});
const opts = { depth: 1, page: 1, page_size: 1000, sort_by: 'name' as const, sort_order: 'asc' as const, only_path: false };

describe.each([sqlite, postgres])('storage: $name', (backend) => {
  let phys = T0;
  let mono = 1000;
  const clocks: EngineClocks = { physical: () => phys, monotonic: () => mono };
  let cur: Opened | null = null;
  let seq = 0;

  beforeAll(async () => {
    await backend.fresh();
  }, 120_000);
  afterEach(async () => {
    await cur?.close();
    cur = null;
    NodeStore.minCheckpointRecords = 65_536;
    FOLD.minRecords = 65_536;
    await backend.fresh();
    seq = 0;
  });
  afterAll(() => backend.dispose());

  const open = async () => (cur = await backend.open(clocks));
  const reopen = async () => {
    await cur!.close();
    return open();
  };
  const send = async (source: 'realtime' | 'snapshot' | 'audit', events: FileEvent[], agent = 'agent-1') => {
    cur!.v.applyBatch(source, events, { session_id: 's1', agent_id: agent, batch_seq: seq++ });
    await cur!.v.durable();
  };
  const node = (p: string) => cur!.v.tree(p, opts);

  it('a committed batch is there after a restart, with its metadata, names and provenance', async () => {
    await open();
    await send('realtime', [file('/a/b/f1'), file('/a/b/f2', { kind: 'fifo', size: 0 }), file('/a/g', { uid: 1001 })]);
    cur!.v.setPrincipals({ '1000': 'alice' }, { '100': 'lab' });
    await cur!.v.durable();
    await reopen();
    expect(cur!.v.counters()).toMatchObject({ file_count: 3, dir_count: 2 });
    expect(node('/a/b/f1')).toMatchObject({ size: 10, kind: 'file', uid: 1000, owner: 'alice', group: 'lab', mode: 0o644, last_agent_id: 'agent-1', last_source: 'realtime' });
    expect(node('/a/b/f2')).toMatchObject({ kind: 'fifo' });
  });

  it('the change feed survives a restart and its cursors continue', async () => {
    await open();
    await send('realtime', [file('/x'), file('/y')]);
    await send('realtime', [{ op: 'delete', path: '/x' }]);
    const before = (await cur!.v.changes(0, 100, () => true, 1000)).records.map((r) => toEntry(r, cur!.v.labels));
    expect(before.map((e) => `${e.op} ${e.path}`)).toEqual(['upsert /x', 'upsert /y', 'delete /x']);
    await reopen();
    const after = (await cur!.v.changes(0, 100, () => true, 1000)).records.map((r) => toEntry(r, cur!.v.labels));
    expect(after).toEqual(before);
    await send('realtime', [file('/z')]);
    expect(cur!.v.feedBounds().latest).toBe(4);
  });

  it('tombstones, blind spots, suspects and an open audit survive a restart', async () => {
    await open();
    await send('snapshot', [file('/d/keep'), file('/d/gone'), { op: 'upsert', path: '/d', is_dir: true, mtime_ms: T0 }]);
    await send('realtime', [{ op: 'delete', path: '/d/tomb' }, file('/d/hot', { is_atomic_write: false, mtime_ms: T0 })]);
    cur!.v.auditStart();
    await send('audit', [{ op: 'upsert', path: '/d', is_dir: true, mtime_ms: T0, audit_skipped: false }, file('/d/keep', { parent_path: '/d', parent_mtime_ms: T0 }), file('/d/new', { parent_path: '/d', parent_mtime_ms: T0, mtime_ms: T0 - 3_600_000 })]);
    await reopen();
    expect(cur!.v.counters()).toMatchObject({ tombstone_count: 1, suspect_count: 1, is_auditing: true });
    expect(cur!.v.blindSpots('addition', 1, 10).items.map((b) => b.path)).toEqual(['/d/new']);
    // The audit opened before the restart ends after it: missing-item detection still knows what it listed.
    expect(cur!.v.auditEnd(true).deleted).toBe(2); // /d/gone and /d/hot: listed in full, not reported
    await cur!.v.durable();
    await reopen();
    expect(node('/d/gone')).toBeNull();
    expect(cur!.v.blindSpots('deletion', 1, 10).items.map((b) => b.path)).toEqual(['/d/gone', '/d/hot']);
    expect(cur!.v.counters().audit_count).toBe(1);
  });

  it('folds the node log into checkpoints without losing anything, then keeps logging after it', async () => {
    NodeStore.minCheckpointRecords = 50;
    FOLD.minRecords = 50;
    await open();
    for (let b = 0; b < 10; b++) await send('snapshot', Array.from({ length: 30 }, (_, i) => file(`/bulk/d${b}/f${i}`, { size: b * 100 + i })));
    await send('realtime', [{ op: 'delete', path: '/bulk/d3' }, file('/bulk/d4/f0', { size: 7 })]);
    await reopen();
    expect(cur!.v.counters().file_count).toBe(270);
    expect(node('/bulk/d4/f0')).toMatchObject({ size: 7 });
    expect(node('/bulk/d9/f29')).toMatchObject({ size: 929 });
    expect(node('/bulk/d3')).toBeNull();
  });

  it('a reset empties the view for good but keeps counting cursors', async () => {
    await open();
    await send('realtime', [file('/r/1')]);
    cur!.v.reset();
    await cur!.v.durable();
    await send('realtime', [file('/r/2')]);
    await reopen();
    expect(node('/r/1')).toBeNull();
    expect(node('/r/2')).not.toBeNull();
    expect(cur!.v.feedBounds().latest).toBe(5);
  });

  it('keeps subscriptions, pending subtrees and the delivery queue', async () => {
    await open();
    const subs = cur!.store.subscriptions;
    await subs.insert({ id: 'sub1', view: 'v', name: 'n', path: '/in', pattern: null, on: ['stable'], granularity: 'child', url: 'http://127.0.0.1:1/h', secret: 'secret-123', retry_hours: 1, created_at: T0 });
    await subs.addPendingKeys('sub1', ['/in/a', '/in/b'], 7);
    await subs.enqueueSettled({ id: 'd1', sub_id: 'sub1', event: 'stable', path: '/in/a', payload: '{}', next_at: T0, created_at: T0, expires_at: T0 + 3_600_000 }, { subId: 'sub1', path: '/in/a' });
    await reopen();
    const again = cur!.store.subscriptions;
    expect((await again.all()).map((s) => s.id)).toEqual(['sub1']);
    expect((await again.pending()).map((p) => p.path)).toEqual(['/in/b']);
    const due = await again.due(T0 + 1, 10, ['sub1']);
    expect(due.map((d) => d.id)).toEqual(['d1']);
    await again.recordAttempt({ ...due[0]!, status: 'delivered', attempts: 1, done_at: T0 + 2, last_status: 200 }, { delivery_id: 'd1', at: T0 + 2, status_code: 200, error: null, duration_ms: 3 });
    expect(await again.pendingDeliveries(['sub1'])).toBe(0);
    expect((await again.recent('sub1', 10, 0)).items[0]).toMatchObject({ id: 'd1', status: 'delivered', last_status: 200 });
    expect(await again.delete('sub1')).toBe(true);
    expect(await again.all()).toEqual([]);
  });
});

describe('PostgreSQL fencing', () => {
  let store: PgViewStore | null = null;
  afterAll(async () => {
    await store?.closeAndWait();
    pg?.destroy();
    pg = null;
  });

  it('a node whose lease epoch is stale cannot commit: durable() rejects and the failure is reported', async () => {
    pg ??= await PgCluster.start();
    pg.psql('CREATE DATABASE fencing');
    const failures: string[] = [];
    store = await PgViewStore.open({ path: '', url: pg.url.replace(/\/fustor$/, '/fencing'), views: [VIEW], onViewFailure: (view, err) => failures.push(`${view}: ${err.name}`) });
    await store.pool.query(`UPDATE view_leases SET owner = 'me', epoch = 3, expires_at = now() + interval '1 hour' WHERE view = 'v'`);
    const v = await store.attach('v', { view: 'v', owner: 'me', epoch: 3 });
    v.applyBatch('realtime', [file('/ok')], { session_id: 's', batch_seq: 0 });
    await v.durable();
    // Another node took the view over (epoch 4).
    await store.pool.query(`UPDATE view_leases SET owner = 'other', epoch = 4 WHERE view = 'v'`);
    v.applyBatch('realtime', [file('/late')], { session_id: 's', batch_seq: 1 });
    await expect(v.durable()).rejects.toThrow(/owned by another node/);
    expect(failures).toEqual(['v: FencedError']);
    const rows = await store.pool.query(`SELECT count(*)::int AS n FROM feed`);
    expect(rows.rows[0].n).toBe(1);
  });
});
