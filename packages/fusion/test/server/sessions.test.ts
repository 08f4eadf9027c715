// Leader election and commands over real HTTP: timeout failover, promotion by first heartbeat, replacement, delivery once.

import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@fustor/test-helpers';
import { KEYS, openSession, startFusion, testConfigRaw, upserts, type TestFusion } from './helpers.js';

let f: TestFusion | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const hb = (sid: string, key: string = KEYS.ingest) => f!.client.post(`/api/v1/pipe/sessions/${sid}/heartbeat`, key, {});
const sessionsOf = async (view = 'research') => (await f!.client.get(`/api/v1/views/${view}/sessions`, KEYS.readAll)).body.data;

describe('leader election', () => {
  it('first session leads, later ones follow; timeout_sec = max(hint, server default), heartbeat = timeout/2', async () => {
    f = await startFusion();
    const a = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research', session_timeout_sec: 60 });
    const b = await openSession(f.client, KEYS.ingest, { agent_id: 'b', pipe_id: 'p', view: 'research', session_timeout_sec: 5 });
    expect(a).toMatchObject({ role: 'leader', timeout_sec: 60, heartbeat_interval_sec: 30 });
    expect(b).toMatchObject({ role: 'follower', timeout_sec: 30, heartbeat_interval_sec: 15 });
    const other = await openSession(f.client, KEYS.ingestAll, { agent_id: 'a', pipe_id: 'q', view: 'other' });
    expect(other.role).toBe('leader');
    // no pre-emption: the follower's heartbeat keeps it a follower
    expect((await hb(b.session_id)).body.data.role).toBe('follower');
  });

  it('view may be omitted when the key is bound to exactly one view', async () => {
    f = await startFusion();
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p' });
    expect((s as any).view).toBe('research');
    const r = await f.client.post('/api/v1/pipe/sessions', KEYS.ingestAll, { agent_id: 'a', pipe_id: 'p2' });
    expect(r.body.code).toBe(40001);
  });

  it('leader heartbeat timeout is detected by Fusion on its own clock; then the first follower to heartbeat leads', async () => {
    f = await startFusion({ raw: testConfigRaw({ session: { timeout_sec: 1 } }), sweepMs: 50 });
    // the leader gets the 1 s server default; the followers ask for 60 s so they need no heartbeats meanwhile
    const lead = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const f1 = await openSession(f.client, KEYS.ingest, { agent_id: 'b', pipe_id: 'p', view: 'research', session_timeout_sec: 60 });
    const f2 = await openSession(f.client, KEYS.ingest, { agent_id: 'c', pipe_id: 'p', view: 'research', session_timeout_sec: 60 });
    expect(lead.timeout_sec).toBe(1);
    // only read routes are called while waiting: expiry must come from Fusion's own timer
    await waitFor(async () => (await sessionsOf()).items.every((s: any) => s.session_id !== lead.session_id), 'leader expiry', { timeoutMs: 10_000, intervalMs: 100 });
    const research = (await f.client.get('/api/v1/views', KEYS.readAll)).body.data.items.find((v: any) => v.id === 'research');
    expect(research.leader).toBeNull();
    // f2 was opened later but heartbeats first: it leads
    expect((await hb(f2.session_id)).body.data.role).toBe('leader');
    expect((await hb(f1.session_id)).body.data.role).toBe('follower');
    expect((await hb(lead.session_id)).body.code).toBe(40402);
  });

  it('a parked long poll of the promoted follower answers with its new role', async () => {
    f = await startFusion();
    const lead = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const fol = await openSession(f.client, KEYS.ingest, { agent_id: 'b', pipe_id: 'p', view: 'research' });
    const poll = f.client.get(`/api/v1/pipe/sessions/${fol.session_id}/commands?wait_ms=25000`, KEYS.ingest);
    await waitFor(() => f!.server.sessions.find(fol.session_id)!.queue.waiting === 1, 'long poll parked');
    await f.client.call('DELETE', `/api/v1/pipe/sessions/${lead.session_id}`, { key: KEYS.ingest });
    expect((await hb(fol.session_id)).body.data.role).toBe('leader');
    expect((await poll).body.data).toEqual({ role: 'leader', commands: [] });
  });

  it('on release the first follower to heartbeat becomes leader, not the first in the list', async () => {
    f = await startFusion();
    const lead = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const early = await openSession(f.client, KEYS.ingest, { agent_id: 'b', pipe_id: 'p', view: 'research' });
    const late = await openSession(f.client, KEYS.ingest, { agent_id: 'c', pipe_id: 'p', view: 'research' });
    expect((await f.client.call('DELETE', `/api/v1/pipe/sessions/${lead.session_id}`, { key: KEYS.ingest })).status).toBe(200);
    const views = (await f.client.get('/api/v1/views', KEYS.read)).body.data.items;
    expect(views[0].leader).toBeNull();
    expect((await hb(late.session_id)).body.data.role).toBe('leader');
    expect((await hb(early.session_id)).body.data.role).toBe('follower');
    // the promoted leader's first snapshot clears blind spots (first leader after a change)
    const snap = await f.client.post(`/api/v1/pipe/sessions/${late.session_id}/snapshot/start`, KEYS.ingest, {});
    expect(snap.body.data.cleared_blind_spots).toBe(true);
  });

  it('a new session with the same agent_id + pipe_id replaces the old one and takes leadership over', async () => {
    f = await startFusion();
    const old = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const fol = await openSession(f.client, KEYS.ingest, { agent_id: 'b', pipe_id: 'p', view: 'research' });
    const neu = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    expect(neu.role).toBe('leader');
    expect((await hb(old.session_id)).body.code).toBe(40402);
    expect((await hb(fol.session_id)).body.data.role).toBe('follower');
    const list = await sessionsOf();
    expect(list.total).toBe(2);
  });
});

describe('session ownership', () => {
  it("another ingest key of the view cannot heartbeat, post to, poll or close the leader's session, whose id read keys can see", async () => {
    f = await startFusion();
    const lead = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const views = await f.client.get('/api/v1/views', KEYS.read);
    const seen = views.body.data.items.find((v: { id: string }) => v.id === 'research').leader.session_id;
    expect(seen).toBe(lead.session_id);
    const base = `/api/v1/pipe/sessions/${seen}`;
    for (const key of [KEYS.ingestAll, KEYS.ingestOther]) {
      const answers = [
        await f.client.post(`${base}/heartbeat`, key, {}),
        await f.client.post(`${base}/events`, key, { message_source: 'realtime', batch_seq: 0, events: upserts(1) }),
        await f.client.get(`${base}/commands?wait_ms=0`, key),
        await f.client.call('DELETE', base, { key }),
      ];
      for (const r of answers) {
        // exactly what an unknown session answers: nothing says it exists or which view it is on
        expect(r.status).toBe(404);
        expect(r.body.code).toBe(40402);
        expect(r.body.message).not.toContain('research');
      }
    }
    expect((await hb(lead.session_id)).body.data.role).toBe('leader');
    expect((await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).body.data.file_count).toBe(0);
    // the admin key may still act on any session
    expect((await f.client.post(`${base}/heartbeat`, KEYS.admin, {})).status).toBe(200);
  });

  it('a session opened by another key with the same agent_id + pipe_id does not replace the first one', async () => {
    f = await startFusion();
    const lead = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const squat = await openSession(f.client, KEYS.ingestAll, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    expect(squat.role).toBe('follower');
    expect((await hb(lead.session_id)).body.data.role).toBe('leader');
    expect((await sessionsOf()).total).toBe(2);
  });
});

describe('commands', () => {
  it('reset sends resnapshot once, through the heartbeat', async () => {
    f = await startFusion();
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const r = await f.client.call('DELETE', '/api/v1/views/research/tree', { key: KEYS.admin });
    expect(r.body.data).toMatchObject({ reset: true, sessions_notified: 1 });
    const first = await hb(s.session_id);
    expect(first.body.data.commands).toHaveLength(1);
    expect(first.body.data.commands[0].type).toBe('resnapshot');
    const second = await hb(s.session_id);
    expect(second.body.data.commands).toEqual([]);
    const poll = await f.client.get(`/api/v1/pipe/sessions/${s.session_id}/commands?wait_ms=0`, KEYS.ingest);
    expect(poll.body.data.commands).toEqual([]);
  });

  it('a long poll answers as soon as a command is queued, and the command is not delivered again', async () => {
    f = await startFusion();
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const poll = f.client.get(`/api/v1/pipe/sessions/${s.session_id}/commands?wait_ms=25000`, KEYS.ingest);
    // the poll is parked before the command exists, so only a wake-up (not the initial check) can deliver it
    await waitFor(() => f!.server.sessions.find(s.session_id)!.queue.waiting === 1, 'long poll parked');
    await f.client.call('DELETE', '/api/v1/views/research/tree', { key: KEYS.admin });
    const r = await poll;
    expect(r.body.data.role).toBe('leader');
    expect(r.body.data.commands.map((c: any) => c.type)).toEqual(['resnapshot']);
    expect((await hb(s.session_id)).body.data.commands).toEqual([]);
  });

  it('a long poll with nothing pending answers an empty list after wait_ms', async () => {
    f = await startFusion();
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const r = await f.client.get(`/api/v1/pipe/sessions/${s.session_id}/commands?wait_ms=50`, KEYS.ingest);
    expect(r.body.data).toEqual({ role: 'leader', commands: [] });
    const bad = await f.client.get(`/api/v1/pipe/sessions/${s.session_id}/commands?wait_ms=60001`, KEYS.ingest);
    expect(bad.body.code).toBe(40001);
  });

  it('force_real_time: the leader gets a scan command by long poll, answers with on_demand events and done; the query sees them', async () => {
    f = await startFusion();
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const base = `/api/v1/pipe/sessions/${s.session_id}`;
    await f.client.post(`${base}/events`, KEYS.ingest, {
      message_source: 'realtime',
      batch_seq: 0,
      events: [{ op: 'upsert', path: '/a', is_dir: true, mtime_ms: 1 }],
    });
    // a fake agent: wait for the command, answer it
    const agent = (async () => {
      const poll = await f!.client.get(`${base}/commands?wait_ms=10000`, KEYS.ingest);
      const cmd = poll.body.data.commands[0];
      expect(cmd).toMatchObject({ type: 'scan', path: '/a', recursive: true });
      await f!.client.post(`${base}/events`, KEYS.ingest, {
        message_source: 'on_demand',
        batch_seq: 1,
        command_id: cmd.id,
        events: [
          { op: 'upsert', path: '/a', is_dir: true, mtime_ms: 2 },
          { op: 'upsert', path: '/a/new.dat', is_dir: false, size: 7, mtime_ms: 1_700_000_000_000, parent_path: '/a', parent_mtime_ms: 2 },
        ],
      });
      const done = await f!.client.post(`${base}/commands/${cmd.id}/done`, KEYS.ingest, { ok: true, error: null });
      expect(done.body.data.status).toBe('done');
      return cmd.id as string;
    })();
    const q = await f.client.get('/api/v1/views/research/tree?path=/a&force_real_time=true&timeout_ms=10000', KEYS.read);
    const cmdId = await agent;
    expect(q.status).toBe(200);
    expect(q.body.data.job).toMatchObject({ id: cmdId, status: 'done' });
    expect(q.body.data.node.children.items.map((n: any) => n.path)).toContain('/a/new.dat');
    // done for an unknown command is 40401
    const unknown = await f.client.post(`${base}/commands/cmd_nope/done`, KEYS.ingest, { ok: true });
    expect(unknown.body.code).toBe(40401);
  });

  it('concurrent force_real_time queries for one path join the pending job: one scan command, every query answered by its done', async () => {
    f = await startFusion();
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const base = `/api/v1/pipe/sessions/${s.session_id}`;
    await f.client.post(`${base}/events`, KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: [{ op: 'upsert', path: '/a', is_dir: true, mtime_ms: 1 }] });
    const query = (path: string) => f!.client.get(`/api/v1/views/research/tree?path=${path}&force_real_time=true&timeout_ms=15000`, KEYS.read);
    const first = query('/');
    await waitFor(() => f!.server.sessions.find(s.session_id)!.queue.size === 1, 'the first scan command queued');
    const firstId = f.server.jobs.pendingScan('research', s.session_id, '/')!.id;
    const more = [query('/'), query('/'), query('/')];
    await waitFor(() => f!.server.jobs.waiting(firstId) === 4, 'three more queries waiting on the first job');
    const other = query('/a');
    await waitFor(() => f!.server.sessions.find(s.session_id)!.queue.size === 2, 'a second command, for the other path only');
    const poll = await f.client.get(`${base}/commands?wait_ms=1000`, KEYS.ingest);
    const cmds = poll.body.data.commands as Array<{ id: string; path: string }>;
    expect(cmds.map((c) => c.path)).toEqual(['/', '/a']);
    for (const c of cmds) await f.client.post(`${base}/commands/${c.id}/done`, KEYS.ingest, { ok: true, error: null });
    const answers = await Promise.all([first, ...more]);
    expect(new Set(answers.map((a) => a.body.data.job.id))).toEqual(new Set([cmds[0]!.id]));
    expect(answers.every((a) => a.body.data.job.status === 'done')).toBe(true);
    expect((await other).body.data.job).toMatchObject({ id: cmds[1]!.id, status: 'done' });
    // Once done, the next query sends a new scan: a finished job is never joined.
    const later = query('/');
    await waitFor(() => f!.server.sessions.find(s.session_id)!.queue.size === 1, 'a new command after the job finished');
    const next = (await f.client.get(`${base}/commands?wait_ms=1000`, KEYS.ingest)).body.data.commands[0];
    expect(next.id).not.toBe(cmds[0]!.id);
    await f.client.post(`${base}/commands/${next.id}/done`, KEYS.ingest, { ok: true, error: null });
    expect((await later).body.data.job.id).toBe(next.id);
  });

  it('force_real_time with no answer reports the job pending after timeout_ms', async () => {
    f = await startFusion();
    await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const q = await f.client.get('/api/v1/views/research/tree?path=/&force_real_time=true&timeout_ms=100', KEYS.read);
    expect(q.body.data.job.status).toBe('pending');
  });
});

describe('graceful stop', () => {
  it('answers parked long polls and force_real_time waits before closing', async () => {
    f = await startFusion();
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const poll = f.client.get(`/api/v1/pipe/sessions/${s.session_id}/commands?wait_ms=25000`, KEYS.ingest);
    await waitFor(() => f!.server.sessions.find(s.session_id)!.queue.waiting === 1, 'long poll parked');
    const query = f.client.get('/api/v1/views/research/tree?path=/&force_real_time=true&timeout_ms=25000', KEYS.read);
    // the scan command is queued for the leader: the parked poll receives it
    const delivered = await poll;
    expect(delivered.body.data.commands.map((c: any) => c.type)).toEqual(['scan']);
    await f.server.stop();
    const answered = await query;
    expect(answered.status).toBe(200);
    expect(answered.body.data.job.status).toBe('pending');
  });
});

describe('persistence', () => {
  it('a restart keeps sessions and roles', async () => {
    f = await startFusion({ raw: testConfigRaw({ session: { timeout_sec: 1 } }) });
    const lead = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research', session_timeout_sec: 30 });
    const fol = await openSession(f.client, KEYS.ingest, { agent_id: 'b', pipe_id: 'p', view: 'research', session_timeout_sec: 30 });
    await f.client.post(`/api/v1/pipe/sessions/${lead.session_id}/events`, KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: upserts(1) });
    await f.restart();
    expect((await hb(lead.session_id)).body.data.role).toBe('leader');
    expect((await hb(fol.session_id)).body.data.role).toBe('follower');
  });
});
