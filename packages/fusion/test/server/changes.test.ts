// The change feed over HTTP: polling with cursors and filters, 409s, SSE live frames, resume with Last-Event-ID, keepalive, lagged.

import { afterEach, describe, expect, it } from 'vitest';
import type { FusionConfig } from '../../src/config/types.js';
import { KEYS, openSession, startFusion, type TestFusion } from './helpers.js';
import { SseReader } from './sse-reader.js';

const T = 1_600_000_000_000;
let f: TestFusion;
let sid: string;
let seq = 0;

async function start(feed?: Record<string, number>, keepaliveMs?: number) {
  f = await startFusion({
    ...(feed ? { patch: (c: FusionConfig) => ({ ...c, feed }) as FusionConfig } : {}),
    ...(keepaliveMs ? { feedKeepaliveMs: keepaliveMs } : {}),
  });
  sid = (await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p', view: 'research' })).session_id;
  seq = 0;
}
afterEach(async () => {
  await f?.close();
});

const up = (path: string, extra: Record<string, unknown> = {}) => ({ op: 'upsert', path, is_dir: false, size: 1, mtime_ms: T, ...extra });
async function send(...events: unknown[]) {
  const r = await f.client.post(`/api/v1/pipe/sessions/${sid}/events`, KEYS.ingest, { message_source: 'realtime', batch_seq: seq++, events });
  expect(r.status).toBe(200);
}
const poll = (q: string) => f.client.get(`/api/v1/views/research/changes?${q}`, KEYS.read);

describe('polling', () => {
  it('pages through every entry exactly once with since/limit/next_cursor', async () => {
    await start();
    for (let i = 0; i < 5; i++) await send(up(`/d/f${i}`));
    const seen: number[] = [];
    let since = 0;
    for (;;) {
      const r = await poll(`since=${since}&limit=2`);
      expect(r.status).toBe(200);
      seen.push(...r.body.data.items.map((e: { cursor: number }) => e.cursor));
      if (r.body.data.next_cursor === since) break;
      since = r.body.data.next_cursor;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    const first = (await poll('since=0&limit=1')).body.data.items[0];
    expect(first).toMatchObject({ cursor: 1, op: 'upsert', path: '/d', is_dir: true, created: true, message_source: 'realtime', agent_id: 'a1' });
  });

  it('filters by path, pattern and ops without breaking cursors', async () => {
    await start();
    await send(up('/in/a.fastq'), up('/in/b.txt'), up('/out/c.fastq'));
    const r = await poll('since=0&path=/in&pattern=*.fastq&ops=upsert');
    expect(r.body.data.items.map((e: { path: string }) => e.path)).toEqual(['/in/a.fastq']);
    expect(r.body.data.next_cursor).toBe(r.body.data.latest_cursor);
    const bad = await poll('ops=upsert,explode');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/ops: unknown op 'explode'/);
  });

  it('answers 409 with the oldest cursor for an expired one, and 409 for one from the future', async () => {
    await start({ retention_entries: 3, retention_hours: 720, max_lag: 100 });
    for (let i = 0; i < 300; i++) await send(up(`/f${i}`));
    const r = await poll('since=1');
    expect(r.status).toBe(409);
    expect(r.body.code).toBe(40901);
    expect(r.body.details!.oldest_cursor).toBeGreaterThan(1);
    expect((await poll(`since=${r.body.details!.oldest_cursor}`)).status).toBe(200);
    const future = await poll('since=999999');
    expect(future.status).toBe(409);
    expect(future.body.details!.latest_cursor).toBe(300);
  });
});

describe('SSE', () => {
  it('streams changes live with id = cursor; a reset is its own event', async () => {
    await start();
    const s = await SseReader.open(f.server.url, '/api/v1/views/research/changes', KEYS.read);
    expect(s.status).toBe(200);
    await send(up('/live/x'));
    await s.until((r) => r.changes().length === 2, 'two live entries');
    expect(s.frames.map((x) => [x.id, x.event])).toEqual([['1', 'change'], ['2', 'change']]);
    expect(s.changes()[1]).toMatchObject({ cursor: 2, op: 'upsert', path: '/live/x' });
    const reset = await f.client.call('DELETE', '/api/v1/views/research/tree', { key: KEYS.admin });
    expect(reset.status).toBe(200);
    await s.until((r) => r.frames.some((x) => x.event === 'reset'), 'a reset event');
    s.close();
  });

  it('resumes after a dropped connection with Last-Event-ID: no gap, no duplicate', async () => {
    await start();
    const a = await SseReader.open(f.server.url, '/api/v1/views/research/changes?since=0', KEYS.read);
    await send(up('/r/1'));
    await a.until((r) => r.changes().length === 2, 'first entries');
    a.close();
    await send(up('/r/2'), up('/r/3'));
    const lastId = a.frames.at(-1)!.id!;
    const b = await SseReader.open(f.server.url, '/api/v1/views/research/changes?since=0', KEYS.read, { 'last-event-id': lastId });
    await send(up('/r/4'));
    await b.until((r) => r.changes().some((e) => e.path === '/r/4'), 'the live entry after resuming');
    const all = [...a.changes(), ...b.changes()].map((e) => e.cursor);
    expect(all).toEqual([1, 2, 3, 4, 5]);
    b.close();
  });

  it('sends a comment on an idle stream', async () => {
    await start(undefined, 100);
    const s = await SseReader.open(f.server.url, '/api/v1/views/research/changes', KEYS.read);
    await s.until((r) => r.comments.includes('keepalive'), 'a keepalive comment');
    s.close();
  });

  it('cuts off a reader that falls more than max_lag behind with `lagged` and where to resume', async () => {
    await start({ retention_entries: 10_000_000, retention_hours: 720, max_lag: 50 });
    const s = await SseReader.open(f.server.url, '/api/v1/views/research/changes', KEYS.read);
    s.pause();
    // Enough entries to fill the socket buffers of a reader that does not read, then max_lag more.
    const long = 'x'.repeat(200);
    for (let b = 0; b < 40 && !s.ended; b++) await send(...Array.from({ length: 500 }, (_, i) => up(`/${long}/b${b}/f${i}`)));
    s.resume();
    await s.until((r) => r.ended, 'the stream to end');
    const lagged = s.frames.find((x) => x.event === 'lagged');
    expect(lagged).toBeDefined();
    const { cursor } = JSON.parse(lagged!.data);
    const got = s.changes().map((e) => e.cursor);
    expect(cursor).toBe(got.at(-1));
    // Polling from there continues without a gap.
    const next = await poll(`since=${cursor}&limit=1`);
    expect(next.body.data.items[0].cursor).toBe(cursor + 1);
  });

  it('answers 409 (not a stream) for an expired cursor', async () => {
    await start({ retention_entries: 3, retention_hours: 720, max_lag: 100 });
    for (let i = 0; i < 300; i++) await send(up(`/f${i}`));
    const s = await SseReader.open(f.server.url, '/api/v1/views/research/changes?since=1', KEYS.read);
    expect(s.status).toBe(409);
    s.close();
  });
});
