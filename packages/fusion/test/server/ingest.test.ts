// Event ingest over real HTTP: validation, batch_seq order and idempotent retries, leader-only sources, phases.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYS, openSession, startFusion, upserts, type TestFusion } from './helpers.js';

let f: TestFusion;
beforeEach(async () => {
  f = await startFusion();
});
afterEach(async () => {
  await f.close();
});

const ev = (sid: string) => `/api/v1/pipe/sessions/${sid}/events`;

describe('events', () => {
  it('applies a batch and the tree shows it', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p1', view: 'research' });
    const r = await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: upserts(3) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ code: 0, message: 'success', data: { accepted: 3, ignored: 0, batch_seq: 0, duplicate: false } });
    const t = await f.client.get('/api/v1/views/research/tree?path=/', KEYS.read);
    expect(t.status).toBe(200);
    expect(t.body.data.node.children.items.map((n: any) => n.path).sort()).toEqual(['/f0', '/f1', '/f2']);
  });

  it('same batch_seq twice answers duplicate and is not applied again', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p1', view: 'research' });
    const first = await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: upserts(2) });
    expect(first.body.data.duplicate).toBe(false);
    // the retry carries different content: if it were re-applied /g0 would appear
    const retry = await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: upserts(1, '/g') });
    expect(retry.status).toBe(200);
    expect(retry.body.data).toEqual({ accepted: 0, ignored: 0, batch_seq: 0, duplicate: true });
    const miss = await f.client.get('/api/v1/views/research/stats?path=/g0', KEYS.read);
    expect(miss.status).toBe(404);
  });

  it('a batch that skips ahead is 40901 with details.expected_seq', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p1', view: 'research' });
    await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 5, events: upserts(1) });
    const r = await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 7, events: upserts(1) });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe(40901);
    expect(r.body.details).toEqual({ expected_seq: 6 });
    const ok = await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 6, events: upserts(1) });
    expect(ok.body.data.duplicate).toBe(false);
  });

  it('an invalid event rejects the whole batch naming events[i].field, and consumes no number', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p1', view: 'research' });
    const events = upserts(4);
    (events[2] as any).path = 'relative/x';
    const r = await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(40001);
    expect(r.body.message).toMatch(/^events\[2\]\.path: /);
    expect(r.body.details).toEqual({ field: 'events[2].path' });
    const none = await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read);
    expect(none.body.data.file_count).toBe(0);
    const again = await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: upserts(4) });
    expect(again.body.data).toMatchObject({ accepted: 4, duplicate: false });
  });

  it('snapshot and audit batches from a follower are 40302; realtime from a follower is accepted', async () => {
    await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p1', view: 'research' });
    const fol = await openSession(f.client, KEYS.ingest, { agent_id: 'a2', pipe_id: 'p1', view: 'research' });
    expect(fol.role).toBe('follower');
    for (const src of ['snapshot', 'audit']) {
      const r = await f.client.post(ev(fol.session_id), KEYS.ingest, { message_source: src, batch_seq: 0, events: upserts(1) });
      expect(r.status).toBe(403);
      expect(r.body.code).toBe(40302);
    }
    for (const phase of ['snapshot/start', 'audit/start', 'sentinel/feedback']) {
      const r = await f.client.post(`/api/v1/pipe/sessions/${fol.session_id}/${phase}`, KEYS.ingest, phase.startsWith('sentinel') ? { results: [] } : {});
      expect(r.body.code).toBe(40302);
    }
    const rt = await f.client.post(ev(fol.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: upserts(1) });
    expect(rt.status).toBe(200);
  });

  it('unknown session is 40402', async () => {
    const r = await f.client.post(ev('ses_nope'), KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: [] });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe(40402);
  });

  it('audit/end and snapshot/end without a start are 409', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p1', view: 'research' });
    for (const p of ['audit/end', 'snapshot/end']) {
      const r = await f.client.post(`/api/v1/pipe/sessions/${s.session_id}/${p}`, KEYS.ingest, { complete: true });
      expect(r.status).toBe(409);
      expect(r.body.code).toBe(40901);
    }
    expect((await f.client.post(`/api/v1/pipe/sessions/${s.session_id}/audit/start`, KEYS.ingest, {})).status).toBe(200);
    const end = await f.client.post(`/api/v1/pipe/sessions/${s.session_id}/audit/end`, KEYS.ingest, { complete: true });
    expect(end.status).toBe(200);
    expect(end.body.data).toMatchObject({ ended: true, complete: true });
  });

  it('snapshot start/end, batches and sentinel round trip for the leader', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p1', view: 'research' });
    const base = `/api/v1/pipe/sessions/${s.session_id}`;
    expect((await f.client.post(`${base}/snapshot/start`, KEYS.ingest, {})).body.data).toMatchObject({ started: true, cleared_blind_spots: false });
    const b = await f.client.post(ev(s.session_id), KEYS.ingest, {
      message_source: 'snapshot',
      batch_seq: 0,
      events: [{ op: 'upsert', path: '/d', is_dir: true, mtime_ms: 1, parent_path: '/', parent_mtime_ms: 1 }, ...upserts(2, '/d/x')],
    });
    expect(b.body.data.accepted).toBe(3);
    expect((await f.client.post(`${base}/snapshot/end`, KEYS.ingest, { complete: true })).status).toBe(200);
    const tasks = await f.client.get(`${base}/sentinel/tasks`, KEYS.ingest);
    expect(tasks.status).toBe(200);
    expect(Array.isArray(tasks.body.data.paths)).toBe(true);
    const fb = await f.client.post(`${base}/sentinel/feedback`, KEYS.ingest, { results: [{ path: '/d/x0', exists: true, size: 0, mtime_ms: 1_700_000_000_000 }] });
    expect(fb.status).toBe(200);
  });

  it('sessions survive a restart with their batch_seq (retry is a duplicate, next number continues)', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p1', view: 'research' });
    await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: upserts(2) });
    await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 1, events: upserts(2, '/h') });
    await f.restart();
    const dup = await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 1, events: upserts(2, '/h') });
    expect(dup.body.data.duplicate).toBe(true);
    const hb = await f.client.post(`/api/v1/pipe/sessions/${s.session_id}/heartbeat`, KEYS.ingest, {});
    expect(hb.body.data.role).toBe('leader');
    const next = await f.client.post(ev(s.session_id), KEYS.ingest, { message_source: 'realtime', batch_seq: 2, events: upserts(1, '/k') });
    expect(next.body.data).toMatchObject({ duplicate: false, accepted: 1 });
    const st = await f.client.get('/api/v1/views/research/stats', KEYS.read);
    expect(st.body.data.file_count).toBe(5);
  });
});
