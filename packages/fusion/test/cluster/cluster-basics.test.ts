// Two Fusion nodes on one PostgreSQL: each view has one owner, any node answers any request, a view moves on demand.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@fustor/test-helpers';
import { PgCluster } from '@fustor/test-helpers';
import { KEYS, startNode, type TestNode } from './cluster-helpers.js';
import { openSession } from '../server/helpers.js';
import { SseReader } from '../server/sse-reader.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

let pg: PgCluster;
let a: TestNode;
let b: TestNode;

beforeAll(async () => {
  pg = await PgCluster.start();
  a = await startNode('node-a', pg.url);
  b = await startNode('node-b', pg.url);
}, 120_000);
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  pg?.destroy();
});

const owners = async (n: TestNode) => {
  const r = await n.client.get('/api/v1/cluster', KEYS.read);
  return Object.fromEntries((r.body.data.views as Array<{ view: string; owner: string }>).map((v) => [v.view, v.owner]));
};

describe('a two-node cluster', () => {
  it('places every view on one node and both nodes agree who owns what', async () => {
    const seen = await waitFor(async () => {
      const o = await owners(b);
      return o.research && o.other ? o : null;
    }, 'both views owned');
    expect(await owners(a)).toEqual(seen);
    // Each node lists the other once it has seen its heartbeat row (within one tick).
    await waitFor(async () => (await a.client.get('/api/v1/cluster', KEYS.read)).body.data.nodes.length === 2, 'node-a to see node-b');
  });

  it('any node takes ingest and queries for any view (forwarded to the owner), and streams its feed', async () => {
    const o = await owners(a);
    const [near, far] = o.research === 'node-a' ? [a, b] : [b, a];
    const sid = (await openSession(far.client, KEYS.ingest, { agent_id: 'x', pipe_id: 'p', view: 'research' })).session_id;
    const feed = await SseReader.open(far.url, '/api/v1/views/research/changes?since=0', KEYS.read);
    const r = await far.client.post(`/api/v1/pipe/sessions/${sid}/events`, KEYS.ingest, {
      message_source: 'realtime', batch_seq: 0, events: [{ op: 'upsert', path: '/via/far', is_dir: false, size: 3, mtime_ms: 1_700_000_000_000 }],
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-fustor-served-by')).toBe(near.url);
    for (const n of [a, b]) {
      const t = await n.client.get('/api/v1/views/research/tree?path=/via/far', KEYS.read);
      expect(t.body.data.node).toMatchObject({ size: 3, last_agent_id: 'x' });
    }
    await feed.until((x) => x.changes().some((e) => e.path === '/via/far'), 'the change on the stream through the other node');
    feed.close();
    const views = (await far.client.get('/api/v1/views', KEYS.read)).body.data.items;
    expect(views.map((v: { id: string }) => v.id)).toEqual(['research']);
  });

  it('moves a view on demand: the other node loads it from PostgreSQL, the session and the feed cursor carry on', async () => {
    const o = await owners(a);
    const from = o.research === 'node-a' ? a : b;
    const to = from === a ? b : a;
    const before = (await a.client.get('/api/v1/views/research/changes?since=0', KEYS.read)).body.data;
    const sessions = (await a.client.get('/api/v1/views/research/sessions', KEYS.read)).body.data.items;
    const m = await a.client.post('/api/v1/admin/views/research/move', KEYS.admin, { to: to.id });
    expect(m.status).toBe(200);
    expect(m.body.data).toMatchObject({ view: 'research', from: from.id, to: to.id });
    await waitFor(async () => (await owners(from)).research === to.id && (await to.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).status === 200, 'the new owner serving');
    const t = await from.client.get('/api/v1/views/research/tree?path=/via/far', KEYS.read);
    expect(t.body.data.node).toMatchObject({ size: 3 });
    // The agent's session is still valid: its next batch continues the sequence.
    const sid = sessions[0].session_id;
    const r = await from.client.post(`/api/v1/pipe/sessions/${sid}/events`, KEYS.ingest, {
      message_source: 'realtime', batch_seq: 1, events: [{ op: 'upsert', path: '/after/move', is_dir: false, size: 1, mtime_ms: 1_700_000_000_000 }],
    });
    expect(r.status).toBe(200);
    const after = (await to.client.get(`/api/v1/views/research/changes?since=${before.latest_cursor}`, KEYS.read)).body.data;
    expect(after.items[0].cursor).toBe(before.latest_cursor + 1);
    expect(after.items.map((e: { path: string }) => e.path)).toContain('/after/move');
  });

  it('subscriptions follow their view: a delivery queued before a move is sent by the new owner, and new changes still notify', async () => {
    const got: string[] = [];
    let up = false;
    const rx: Server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c)).on('end', () => {
        if (!up) return void res.writeHead(503).end();
        got.push(JSON.parse(raw).path);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`;
      const sub = await a.client.post('/api/v1/views/research/subscriptions', KEYS.admin, { path: '/subs', on: ['created'], url, secret: 'cluster-secret' });
      expect(sub.status).toBe(201);
      const sid = (await openSession(a.client, KEYS.ingest, { agent_id: 'y', pipe_id: 'p', view: 'research' })).session_id;
      const post = (seq: number, path: string) =>
        a.client.post(`/api/v1/pipe/sessions/${sid}/events`, KEYS.ingest, { message_source: 'realtime', batch_seq: seq, events: [{ op: 'upsert', path, is_dir: false, size: 1, mtime_ms: 1_700_000_000_000 }] });
      expect((await post(0, '/subs/before-move')).status).toBe(200);
      // The receiver refuses for now: the delivery stays queued in PostgreSQL while the view moves.
      const o = await owners(a);
      const to = o.research === 'node-a' ? 'node-b' : 'node-a';
      expect((await a.client.post('/api/v1/admin/views/research/move', KEYS.admin, { to })).status).toBe(200);
      await waitFor(async () => (await owners(a)).research === to && (await b.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).status === 200, 'moved');
      up = true;
      expect((await post(1, '/subs/after-move')).status).toBe(200);
      await waitFor(() => got.includes('/subs/before-move') && got.includes('/subs/after-move'), 'both deliveries', { timeoutMs: 20_000 });
    } finally {
      rx.close();
    }
  });
});
