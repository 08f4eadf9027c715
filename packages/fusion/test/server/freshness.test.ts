// Over HTTP: principals from agents, metadata and provenance in answers, freshness and partial answers (consumers.md §1, §3).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYS, openSession, startFusion, type TestFusion } from './helpers.js';

const T = 1_600_000_000_000;
let f: TestFusion;
let sid: string;
beforeEach(async () => {
  f = await startFusion();
  sid = (await openSession(f.client, KEYS.ingest, { agent_id: 'lab-node-07', pipe_id: 'p', view: 'research', can_realtime: true })).session_id;
});
afterEach(async () => {
  await f.close();
});

const post = (path: string, body: unknown) => f.client.post(`/api/v1/pipe/sessions/${sid}/${path}`, KEYS.ingest, body);

describe('metadata over HTTP', () => {
  it('answers owner/group names posted by the agent, and which agent and source changed the node', async () => {
    await post('snapshot/start', {});
    const events = [{ op: 'upsert', path: '/run42/a.fastq', is_dir: false, size: 5, mtime_ms: T, kind: 'file', uid: 1001, gid: 100, mode: 0o640, ctime_ms: T }];
    expect((await post('events', { message_source: 'snapshot', batch_seq: 0, events })).status).toBe(200);
    const before = await f.client.get('/api/v1/views/research/tree?path=/run42/a.fastq', KEYS.read);
    expect(before.body.data.node).toMatchObject({ owner: null, group: null, uid: 1001 });
    const p = await post('principals', { users: { '1001': 'alice' }, groups: { '100': 'lab' } });
    expect(p.status).toBe(200);
    expect(p.body.data).toEqual({ users: 1, groups: 1 });
    const after = await f.client.get('/api/v1/views/research/tree?path=/run42/a.fastq', KEYS.read);
    expect(after.body.data.node).toMatchObject({
      kind: 'file', uid: 1001, gid: 100, mode: 0o640, ctime_ms: T, owner: 'alice', group: 'lab', last_agent_id: 'lab-node-07', last_source: 'snapshot',
    });
  });

  it('rejects a principals map that is not id → name, naming the field', async () => {
    const r = await post('principals', { users: { alice: '1001' } });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/users/);
  });

  it('rejects kind contradicting is_dir, naming the event', async () => {
    const events = [{ op: 'upsert', path: '/x', is_dir: false, size: 1, mtime_ms: T, kind: 'dir' }];
    const r = await post('events', { message_source: 'realtime', batch_seq: 0, events });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/events\[0\]\.kind/);
  });
});

describe('freshness (consumers.md §3)', () => {
  it('is partial and never stable before the first complete snapshot; fresh and stable after it', async () => {
    // A snapshot event (a realtime one would teach the skew clock that an old mtime is "now").
    await post('snapshot/start', {});
    await post('events', { message_source: 'snapshot', batch_seq: 0, events: [{ op: 'upsert', path: '/old.dat', is_dir: false, size: 1, mtime_ms: T }] });
    let stats = (await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).body.data;
    expect(stats).toMatchObject({ partial: true, stable: false, snapshot_complete: false, last_snapshot_end_ms: null, audit_count: 0, is_auditing: false, can_realtime: true });
    expect(stats.staleness_ms).toBeNull(); // no realtime event and no audit yet
    const tree = (await f.client.get('/api/v1/views/research/tree?path=/', KEYS.read)).body.data;
    expect(tree.partial).toBe(true);
    const search = (await f.client.get('/api/v1/views/research/search?pattern=*', KEYS.read)).body.data;
    expect(search.partial).toBe(true);

    await post('snapshot/end', { complete: true });
    await post('audit/start', {});
    let views = (await f.client.get('/api/v1/views', KEYS.read)).body.data.items[0];
    expect(views).toMatchObject({ snapshot_complete: true, partial: false, is_auditing: true, audit_count: 0 });
    expect(views.last_snapshot_end_ms).toBeGreaterThan(0);
    await post('audit/end', { complete: true });
    stats = (await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).body.data;
    expect(stats).toMatchObject({ partial: false, stable: true, audit_count: 1, is_auditing: false });
    expect(stats.last_audit_end_ms).toBeGreaterThan(0);
    views = (await f.client.get('/api/v1/views', KEYS.read)).body.data.items[0];
    expect(views.audit_count).toBe(1);
  });

  it('can_realtime is false when any live session lacks full coverage', async () => {
    await post('heartbeat', { can_realtime: false });
    const stats = (await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).body.data;
    expect(stats.can_realtime).toBe(false);
  });

  it("the sessions list shows each agent's last heartbeat phase and stats", async () => {
    await post('heartbeat', { phase: 'audit', stats: { events_sent: { realtime: 12 }, spool_depth: 3 } });
    const s = (await f.client.get('/api/v1/views/research/sessions', KEYS.read)).body.data.items[0];
    expect(s).toMatchObject({ agent_id: 'lab-node-07', phase: 'audit', stats: { events_sent: { realtime: 12 }, spool_depth: 3 } });
  });

  it('a complete snapshot survives a restart (freshness is persisted)', async () => {
    await post('snapshot/start', {});
    await post('snapshot/end', { complete: true });
    await f.restart();
    const stats = (await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).body.data;
    expect(stats).toMatchObject({ snapshot_complete: true, partial: false });
  });
});
