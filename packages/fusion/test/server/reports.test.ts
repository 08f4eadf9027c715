// Report routes and the new search parameters over real HTTP: usage, top, histogram, owner/kind filters and sorts, partial before a snapshot, bad input.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { histogramBinSchema, pageSchema, topItemSchema, usageItemSchema } from '@fustor/protocol';
import { KEYS, openSession, startFusion, type TestFusion } from './helpers.js';

const OLD = 1_600_000_000_000;
let f: TestFusion;
let sid: string;
const get = (path: string) => f.client.get(`/api/v1/views/research/${path}`, KEYS.read);

beforeAll(async () => {
  f = await startFusion();
  sid = (await openSession(f.client, KEYS.ingest, { agent_id: 'r', pipe_id: 'p', view: 'research' })).session_id;
  const meta = (uid: number, gid: number, kind = 'file') => ({ uid, gid, kind, mode: 0o640, ctime_ms: OLD });
  const events = [
    { op: 'upsert', path: '/data', is_dir: true, mtime_ms: OLD, ...meta(1001, 100, 'dir') },
    { op: 'upsert', path: '/data/run1.bam', is_dir: false, size: 5000, mtime_ms: OLD + 1, ...meta(1001, 100) },
    { op: 'upsert', path: '/data/run2.bam', is_dir: false, size: 3000, mtime_ms: OLD + 2, ...meta(1002, 100) },
    { op: 'upsert', path: '/data/notes.txt', is_dir: false, size: 10, mtime_ms: OLD + 3, ...meta(1002, 200) },
    { op: 'upsert', path: '/data/latest', is_dir: false, size: 8, mtime_ms: OLD + 4, ...meta(1001, 100, 'symlink') },
  ];
  const r = await f.client.post(`/api/v1/pipe/sessions/${sid}/events`, KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events });
  expect(r.status).toBe(200);
  const p = await f.client.post(`/api/v1/pipe/sessions/${sid}/principals`, KEYS.ingest, { users: { '1001': 'alice', '1002': 'bob' }, groups: { '100': 'lab' } });
  expect(p.status).toBe(200);
});
afterAll(async () => {
  await f.close();
});

describe('report routes', () => {
  it('usage by owner: a page sorted by total_size, partial before the first snapshot', async () => {
    const r = await get('usage?path=/data&by=owner');
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ path: '/data', by: 'owner', total: 2, page: 1, pages: 1, partial: true });
    expect(r.body.data.items).toEqual([
      { uid: 1001, name: 'alice', file_count: 2, dir_count: 0, total_size: 5008, latest_mtime_ms: OLD + 4 },
      { uid: 1002, name: 'bob', file_count: 2, dir_count: 0, total_size: 3010, latest_mtime_ms: OLD + 3 },
    ]);
    expect(pageSchema(usageItemSchema).safeParse(r.body.data).success).toBe(true);
    const g = await get('usage?by=group&page_size=1&page=2');
    expect(g.body.data).toMatchObject({ total: 2, pages: 2, items: [{ gid: 200, name: null, file_count: 1, total_size: 10 }] });
  });

  it('top: largest files as full nodes; directories with subtree counts', async () => {
    const r = await get('top?by=size&limit=2');
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ path: '/', by: 'size', order: 'desc', type: 'file', limit: 2, partial: true });
    expect(r.body.data.items.map((n: any) => n.path)).toEqual(['/data/run1.bam', '/data/run2.bam']);
    expect(r.body.data.items[0]).toMatchObject({ owner: 'alice', group: 'lab', kind: 'file', mode: 0o640, last_agent_id: 'r', last_source: 'realtime' });
    for (const n of r.body.data.items) expect(topItemSchema.safeParse(n).success).toBe(true);
    const d = await get('top?type=dir&by=mtime');
    expect(d.body.data.items).toEqual([expect.objectContaining({ path: '/data', file_count: 4, dir_count: 0, total_size: 8018, latest_mtime_ms: OLD + 4 })]);
    const oldest = await get('top?by=mtime&order=asc&limit=1');
    expect(oldest.body.data.items.map((n: any) => n.path)).toEqual(['/data/run1.bam']);
  });

  it('histogram: contiguous log2 bins of sizes or ages', async () => {
    const r = await get('histogram?of=size');
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ path: '/', of: 'size', file_count: 4, total_size: 8018, partial: true });
    const bins = r.body.data.bins;
    for (const b of bins) expect(histogramBinSchema.safeParse(b).success).toBe(true);
    expect(bins[0]).toEqual({ lo: 8, hi: 16, file_count: 2, total_size: 18 });
    expect(bins.at(-1)).toEqual({ lo: 4096, hi: 8192, file_count: 1, total_size: 5000 });
    expect(bins.length).toBe(10);
    const age = await get('histogram?of=age&path=/data');
    expect(age.body.data.file_count).toBe(4);
    // Realtime events dated OLD teach the skew clock that "now" is about OLD in the storage's clock domain,
    // within its whole-second rounding (regression: this asserted > OLD and failed one run in three).
    expect(Math.abs(age.body.data.watermark_ms - OLD)).toBeLessThan(60_000); // near OLD, not near today
  });

  it('bad parameters are 400 naming the field; an unknown path is 404', async () => {
    const bad = await get('top?limit=5000');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/limit/);
    expect((await get('usage?by=size')).status).toBe(400);
    expect((await get('histogram?of=weight')).status).toBe(400);
    const missing = await get('usage?path=/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe(40401);
  });
});

describe('search parameters of consumers.md §2', () => {
  const paths = async (qs: string) => {
    const r = await get(`search?${qs}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.data.items.map((n: any) => n.path);
  };

  it('owner and group by name or id; an unknown name matches nothing', async () => {
    expect((await paths('owner=alice&type=file')).sort()).toEqual(['/data/latest', '/data/run1.bam']);
    expect((await paths('uid=1002')).sort()).toEqual(['/data/notes.txt', '/data/run2.bam']);
    expect(await paths('group=lab&kind=symlink')).toEqual(['/data/latest']);
    expect(await paths('gid=200')).toEqual(['/data/notes.txt']);
    expect(await paths('owner=mallory')).toEqual([]);
  });

  it('sort_by size|mtime|path with sort_order; suspect and blind_spot filters', async () => {
    expect(await paths('type=file&sort_by=size&sort_order=desc&page_size=2')).toEqual(['/data/run1.bam', '/data/run2.bam']);
    expect(await paths('type=file&sort_by=mtime&sort_order=desc&page_size=1')).toEqual(['/data/latest']);
    expect(await paths('sort_by=path')).toEqual(['/data', '/data/latest', '/data/notes.txt', '/data/run1.bam', '/data/run2.bam']);
    expect(await paths('suspect=true')).toEqual([]);
    expect((await paths('blind_spot=none&type=file')).length).toBe(4);
    expect(await paths('blind_spot=deletion')).toEqual([]);
    expect((await get('search?suspect=maybe')).status).toBe(400);
    expect((await get('search?kind=pipe')).status).toBe(400);
  });
});
