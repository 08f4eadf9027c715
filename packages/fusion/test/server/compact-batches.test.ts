// Compact scan batches over real HTTP: negotiation at session creation, validation, and the same tree and feed as JSON.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { LISTINGS_CONTENT_TYPE, listingsOf, type UpsertEvent } from '@fustor/protocol';
import { encodeListings, listingBatchBody } from '@fustor/protocol/listing-codec';
import { seededRandom } from '@fustor/test-helpers';
import { KEYS, openSession, startFusion, type TestFusion } from './helpers.js';

let f: TestFusion;
let pool: Pool;
beforeEach(async () => {
  f = await startFusion({ raw: undefined, patch: (c) => ({ ...c, server: { ...c.server, max_body_mb: 4 } }) });
  pool = new Pool(f.server.url);
});
afterEach(async () => {
  await pool.close();
  await f.close();
});

const ev = (sid: string) => `/api/v1/pipe/sessions/${sid}/events`;

async function postCompact(sid: string, key: string, source: 'snapshot' | 'audit', seq: number, events: UpsertEvent[]) {
  const ls = listingsOf(events)!;
  const body = listingBatchBody({ message_source: source, batch_seq: seq }, [encodeListings(ls)], ls.length);
  const res = await pool.request({ method: 'POST', path: ev(sid), headers: { 'x-api-key': key, 'content-type': LISTINGS_CONTENT_TYPE }, body });
  return { status: res.statusCode, body: (await res.body.json()) as { code: number; message: string; data: any; details?: unknown } };
}

/** A tree as a scan reports it: each directory, then its children (files of every kind, with metadata). */
function scan(seed: number, dirs: number, audit: boolean): UpsertEvent[] {
  const r = seededRandom(seed);
  const obs = 1_764_000_000_000;
  const out: UpsertEvent[] = [{ op: 'upsert', path: '/', is_dir: true, mtime_ms: 10, observed_at_ms: obs, kind: 'dir', uid: 0, gid: 0, mode: 0o755, ctime_ms: 10, ...(audit ? { audit_skipped: false } : {}) }];
  for (let d = 0; d < dirs; d++) {
    const parent = d < 4 ? '/' : `/d${d % 4}`;
    const path = `${parent === '/' ? '' : parent}/d${d}`;
    const m = 1_700_000_000_000 + d * 1000.25;
    out.push({ op: 'upsert', path, is_dir: true, mtime_ms: m, observed_at_ms: obs, parent_path: parent, parent_mtime_ms: parent === '/' ? 10 : 1_700_000_000_000 + (d % 4) * 1000.25, kind: 'dir', uid: 1000 + (d % 3), gid: 100, mode: 0o2775, ctime_ms: m + 1, ...(audit ? { audit_skipped: false } : {}) });
    for (let i = 0; i < 20; i++) {
      const kind = i === 7 ? 'symlink' : 'file';
      out.push({
        op: 'upsert', path: `${path}/f${i}.dat`, is_dir: false, size: Math.floor(r() * 1e6), mtime_ms: m - r() * 1e6, observed_at_ms: obs, parent_path: path, parent_mtime_ms: m,
        kind, uid: 1000 + (i % 2), gid: 100, mode: 0o644, ctime_ms: m + r() * 10,
      });
    }
  }
  return out;
}

async function snapshotAndAudit(view: 'research' | 'other', compact: boolean): Promise<void> {
  const key = view === 'research' ? KEYS.ingest : KEYS.ingestOther;
  const s = await openSession(f.client, key, { agent_id: 'a1', pipe_id: `p-${view}`, view });
  const base = `/api/v1/pipe/sessions/${s.session_id}`;
  let seq = 0;
  const send = async (source: 'snapshot' | 'audit', events: UpsertEvent[]) => {
    const r = compact
      ? await postCompact(s.session_id, key, source, seq, events)
      : await f.client.post(ev(s.session_id), key, { message_source: source, batch_seq: seq, events });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    seq++;
  };
  expect((await f.client.post(`${base}/snapshot/start`, key, {})).status).toBe(200);
  const snap = scan(1, 30, false);
  // Cut mid-directory: a listing continues in the next batch without its own entry.
  for (const [a, b] of [[0, 250], [250, 401], [401, snap.length]] as const) await send('snapshot', snap.slice(a, b));
  expect((await f.client.post(`${base}/snapshot/end`, key, { complete: true })).status).toBe(200);
  // The audit sees a changed tree: fewer directories, other sizes (blind-spot additions, deletions at its end).
  expect((await f.client.post(`${base}/audit/start`, key, {})).status).toBe(200);
  await send('audit', scan(2, 24, true));
  expect((await f.client.post(`${base}/audit/end`, key, { complete: true })).status).toBe(200);
}

async function everything(view: string) {
  const nodes = await f.client.get(`/api/v1/views/${view}/search?path=/&pattern=*&page_size=1000&sort_by=path`, KEYS.readAll);
  expect(nodes.status).toBe(200);
  const feed = await f.client.get(`/api/v1/views/${view}/changes?since=0&limit=5000`, KEYS.readAll);
  expect(feed.status).toBe(200);
  const stats = await f.client.get(`/api/v1/views/${view}/stats?path=/`, KEYS.readAll);
  // Times Fusion stamps itself (commit time, freshness) differ between the two runs; everything else must not.
  const { last_snapshot_end_ms: _a, last_audit_end_ms: _b, staleness_ms: _c, watermark_ms: _d, ...st } = stats.body.data;
  const items = feed.body.data.items.map(({ at_ms: _t, ...rest }: Record<string, unknown>) => rest);
  return { nodes: nodes.body.data, feed: items, stats: st };
}

describe('compact scan batches', () => {
  it('session creation answers the first offered encoding Fusion takes; an old agent offers none and gets none', async () => {
    const pick = async (offer?: string[]) =>
      (await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p1', view: 'research', ...(offer ? { scan_encodings: offer } : {}) })) as { scan_encoding?: string };
    expect((await pick(['listings+msgpack', 'json'])).scan_encoding).toBe('listings+msgpack');
    expect((await pick(['listings+zstd/9', 'json'])).scan_encoding).toBe('json');
    expect((await pick(['listings+zstd/9'])).scan_encoding).toBe('json');
    expect((await pick()).scan_encoding).toBeUndefined();
  });

  it('a snapshot and an audit sent as listings give the same tree, stats and change feed as the same batches in JSON', async () => {
    await snapshotAndAudit('research', false);
    await snapshotAndAudit('other', true);
    const json = await everything('research');
    const compact = await everything('other');
    expect(json.stats.file_count).toBeGreaterThan(400);
    expect(json.feed.length).toBeGreaterThan(1000);
    expect(compact).toEqual(json);
  });

  it('one bad row rejects the whole batch naming it; nothing is applied and the number is not consumed', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p1', view: 'research' });
    const events = scan(3, 2, false);
    const ls = listingsOf(events)!;
    ls[2]![4 + 8 * 5 + 3] = Number.NaN; // listing of /d1, row 5: mtime_ms
    const body = listingBatchBody({ message_source: 'snapshot', batch_seq: 0 }, [encodeListings(ls)], ls.length);
    const res = await pool.request({ method: 'POST', path: ev(s.session_id), headers: { 'x-api-key': KEYS.ingest, 'content-type': LISTINGS_CONTENT_TYPE }, body });
    const r = (await res.body.json()) as { code: number; message: string; details: unknown };
    expect(res.statusCode).toBe(400);
    expect(r.code).toBe(40001);
    expect(r.message).toMatch(/^listings\[2\]\.rows\[5\]\.mtime_ms: must be a time in ms since 1970/);
    expect(r.details).toEqual({ field: 'listings[2].rows[5].mtime_ms' });
    expect((await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).body.data.file_count).toBe(0);
    const ok = await postCompact(s.session_id, KEYS.ingest, 'snapshot', 0, events);
    expect(ok.body.data).toEqual({ accepted: events.length, ignored: 0, batch_seq: 0, duplicate: false });
  });

  it('a body that is not MessagePack is 40001, not a server error', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a1', pipe_id: 'p1', view: 'research' });
    const res = await pool.request({ method: 'POST', path: ev(s.session_id), headers: { 'x-api-key': KEYS.ingest, 'content-type': LISTINGS_CONTENT_TYPE }, body: '{"message_source":"snapshot"}' });
    const r = (await res.body.json()) as { code: number };
    expect(res.statusCode).toBe(400);
    expect(r.code).toBe(40001);
  });
});
