// Webhook subscriptions over real HTTP: CRUD and limits, signed file events, `stable` once per quiet period, retries, restart.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { verify } from '../../src/subscriptions/signer.js';
import { waitFor } from '@fustor/test-helpers';
import { KEYS, openSession, startFusion, testConfigRaw, type TestFusion } from './helpers.js';

const SECRET = 'correct-horse-battery';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  body: { subscription: string; event: string; path: string; stats?: Record<string, unknown>; node?: Record<string, unknown>; cursor: number };
}

/** A webhook receiver on port 0: records every POST and answers with the next status of `plan` (then 200). */
class Receiver {
  readonly got: Received[] = [];
  readonly #server: Server;
  plan: number[] = [];
  constructor() {
    this.#server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        this.got.push({ headers: req.headers, raw, body: JSON.parse(raw) });
        res.statusCode = this.plan.shift() ?? 200;
        res.end();
      });
    });
  }
  async start(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }
  ok(): Received[] {
    return this.got;
  }
  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

let f: TestFusion;
let rx: Receiver;
let url: string;
let sid: string;
let seq = 0;

async function start(hotSec = 1) {
  rx = new Receiver();
  url = await rx.start();
  const raw = testConfigRaw({ views: [{ id: 'research', hot_file_threshold_sec: hotSec }, { id: 'other' }] });
  f = await startFusion({ raw, webhookRetryMs: { base: 50, max: 200 } });
  await openIngest();
}
async function openIngest() {
  sid = (await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p', view: 'research' })).session_id;
  seq = 0;
  await f.client.post(`/api/v1/pipe/sessions/${sid}/snapshot/start`, KEYS.ingest, {});
  await f.client.post(`/api/v1/pipe/sessions/${sid}/snapshot/end`, KEYS.ingest, { complete: true });
}
afterEach(async () => {
  await f?.close();
  await rx?.close();
});

const file = (path: string, extra: Record<string, unknown> = {}) => ({ op: 'upsert', path, is_dir: false, size: 1, mtime_ms: Date.now(), ...extra });
async function send(...events: unknown[]) {
  const r = await f.client.post(`/api/v1/pipe/sessions/${sid}/events`, KEYS.ingest, { message_source: 'realtime', batch_seq: seq++, events });
  expect(r.status).toBe(200);
}
const subscribe = (body: Record<string, unknown>, key: string = KEYS.admin) =>
  f.client.post('/api/v1/views/research/subscriptions', key, { url, secret: SECRET, ...body });

describe('subscription CRUD', () => {
  it('creates (201, no secret in answers), lists, gets and deletes; read keys may look but not create', async () => {
    await start();
    const c = await subscribe({ name: 'subs', path: '/incoming', on: ['stable'] });
    expect(c.status).toBe(201);
    expect(c.body.data).toMatchObject({ name: 'subs', path: '/incoming', on: ['stable'], granularity: 'child', retry_hours: 24, pending_deliveries: 0 });
    expect(JSON.stringify(c.body)).not.toContain(SECRET);
    const id = c.body.data.id;
    expect((await f.client.get('/api/v1/views/research/subscriptions', KEYS.read)).body.data.items.map((s: { id: string }) => s.id)).toEqual([id]);
    expect((await f.client.get(`/api/v1/views/research/subscriptions/${id}`, KEYS.read)).body.data.id).toBe(id);
    expect((await subscribe({ on: ['stable'] }, KEYS.read)).status).toBe(403);
    expect((await f.client.call('DELETE', `/api/v1/views/research/subscriptions/${id}`, { key: KEYS.admin })).status).toBe(200);
    expect((await f.client.get(`/api/v1/views/research/subscriptions/${id}`, KEYS.read)).status).toBe(404);
  });

  it('refuses a host outside webhooks.allowed_hosts (default loopback), naming the key to change', async () => {
    await start();
    const r = await f.client.post('/api/v1/views/research/subscriptions', KEYS.admin, { url: 'http://example.org/hook', secret: SECRET, on: ['created'] });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/url: host 'example.org' is not in webhooks.allowed_hosts/);
    const bad = await subscribe({ on: ['finished'] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^on\[0\]/);
  });
});

describe('deliveries', () => {
  it('file events are delivered per matching file, signed, each with its own delivery id', async () => {
    await start();
    await subscribe({ path: '/data', pattern: '*.fastq', on: ['created', 'modified', 'deleted'] });
    await send(file('/data/a.fastq'), file('/data/b.txt'));
    await send(file('/data/a.fastq', { size: 2 }));
    await send({ op: 'delete', path: '/data/a.fastq' });
    await waitFor(() => rx.got.length >= 3, 'three deliveries');
    expect(rx.got.map((g) => `${g.body.event} ${g.body.path}`)).toEqual(['created /data/a.fastq', 'modified /data/a.fastq', 'deleted /data/a.fastq']);
    for (const g of rx.got) expect(verify(g.raw, SECRET, g.headers['x-fustor-signature'] as string)).toBe(true);
    expect(verify(rx.got[0]!.raw, 'wrong-secret-value', rx.got[0]!.headers['x-fustor-signature'] as string)).toBe(false);
    expect(new Set(rx.got.map((g) => g.headers['x-fustor-delivery'])).size).toBe(3);
    expect(rx.got[1]!.body.node).toMatchObject({ op: 'upsert', size: 2, created: false });
  });

  it('`stable` fires once per finished submission folder, after the hot threshold, and again only after a new quiet period', async () => {
    await start(1);
    await subscribe({ path: '/incoming', on: ['stable'] });
    await send(file('/incoming/run42/r1.fastq'), file('/incoming/run42/r2.fastq'));
    await waitFor(() => rx.got.length >= 1, 'the stable delivery');
    expect(rx.got[0]!.body).toMatchObject({ event: 'stable', path: '/incoming/run42', stats: { stable: true, file_count: 2 } });
    await send(file('/incoming/run43/x'));
    await waitFor(() => rx.got.length >= 2, 'the second folder');
    expect(rx.got[1]!.body.path).toBe('/incoming/run43');
    await send(file('/incoming/run42/r3.fastq'));
    await waitFor(() => rx.got.length >= 3, 'run42 again after its new quiet period');
    expect(rx.got.map((g) => g.body.path)).toEqual(['/incoming/run42', '/incoming/run43', '/incoming/run42']);
    const subs = (await f.client.get('/api/v1/views/research/subscriptions', KEYS.read)).body.data.items;
    expect(subs[0].pending_subtrees).toBe(0);
  });

  it('no `stable` while a file in the folder is still suspect, even once its mtime is past the threshold', async () => {
    await start(2);
    await subscribe({ path: '/incoming', on: ['stable'] });
    const t0 = Date.now();
    await send(file('/incoming/fast/done', { mtime_ms: t0 }));
    // A writer still busy with one file: the watcher keeps reporting it as not atomically written (same mtime),
    // which re-arms its suspect mark; its mtime alone would be stable after 2 s.
    const slow = file('/incoming/slow/part', { mtime_ms: t0, is_atomic_write: false });
    while (Date.now() - t0 < 4000) {
      await send(slow);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(rx.got.map((g) => g.body.path)).toEqual(['/incoming/fast']);
    const st = (await f.client.get('/api/v1/views/research/stats?path=/incoming/slow', KEYS.read)).body.data;
    expect(st).toMatchObject({ stable: false, suspect_count: 1 });
    expect(st.watermark_ms - st.latest_mtime_ms).toBeGreaterThan(2000);
    // The writer stopped: the mark expires one threshold after the last report, settles, and the folder is reported.
    await waitFor(() => rx.got.length >= 2, 'the slow folder once its suspect settled');
    expect(rx.got[1]!.body.path).toBe('/incoming/slow');
  });

  it('a receiver that fails is retried with backoff until it answers 2xx; attempts are in the delivery log', async () => {
    await start();
    rx.plan = [500, 503];
    const id = (await subscribe({ path: '/', on: ['created'] })).body.data.id;
    await send(file('/x'));
    await waitFor(() => rx.got.length >= 3, 'the third attempt');
    const log = await waitFor(async () => {
      const d = (await f.client.get(`/api/v1/views/research/subscriptions/${id}/deliveries`, KEYS.read)).body.data.items;
      return d[0]?.status === 'delivered' ? d : null;
    }, 'delivered status');
    expect(log[0]).toMatchObject({ event: 'created', path: '/x', attempts: 3, last_status_code: 200 });
    expect(new Set(rx.got.map((g) => g.headers['x-fustor-delivery'])).size).toBe(1);
  });

  it('the test route sends one delivery now and says how it went', async () => {
    await start();
    const id = (await subscribe({ path: '/', on: ['stable'] })).body.data.id;
    const t = await f.client.post(`/api/v1/views/research/subscriptions/${id}/test`, KEYS.admin, {});
    expect(t.status).toBe(200);
    expect(t.body.data.result).toMatchObject({ ok: true, status_code: 200 });
    expect(rx.got[0]!.body).toMatchObject({ event: 'test', subscription: id });
  });
});

describe('durability across a restart', () => {
  it('a subtree still settling and a delivery the receiver refused are both completed after Fusion restarts', async () => {
    await start(1);
    rx.plan = [500, 500, 500, 500, 500, 500, 500, 500];
    await subscribe({ path: '/in', on: ['stable', 'created'] });
    await send(file('/in/a/f1'));
    await waitFor(() => rx.got.length >= 1, 'a first (refused) attempt');
    await f.restart();
    rx.plan = [];
    await openIngest();
    await waitFor(() => rx.got.some((g) => g.body.event === 'stable' && rx.plan.length === 0), 'the stable delivery after the restart', { timeoutMs: 15_000 });
    await waitFor(async () => {
      const items = (await f.client.get('/api/v1/views/research/subscriptions', KEYS.read)).body.data.items;
      return items[0].pending_deliveries === 0;
    }, 'every delivery done');
    const events = rx.got.filter((g, i, all) => all.findIndex((x) => x.headers['x-fustor-delivery'] === g.headers['x-fustor-delivery']) === i);
    expect(events.map((g) => `${g.body.event} ${g.body.path}`).sort()).toEqual(['created /in/a/f1', 'stable /in/a']);
  });
});

describe('many folders', () => {
  it('500 watched folders: only the ones written are reported, once each, and nothing stays pending', async () => {
    await start(1);
    await send(...Array.from({ length: 500 }, (_, i) => ({ op: 'upsert', path: `/sub/f${i}`, is_dir: true, mtime_ms: Date.now() - 3_600_000 })));
    const id = (await subscribe({ path: '/sub', on: ['stable'] })).body.data.id;
    const written = Array.from({ length: 20 }, (_, i) => i * 25);
    await send(...written.map((i) => file(`/sub/f${i}/data`)));
    await waitFor(() => rx.got.length >= 20, '20 stable folders');
    await waitFor(async () => (await f.client.get(`/api/v1/views/research/subscriptions/${id}`, KEYS.read)).body.data.pending_subtrees === 0, 'no pending subtree');
    expect(rx.got.map((g) => g.body.path).sort()).toEqual(written.map((i) => `/sub/f${i}`).sort());
  });
});
