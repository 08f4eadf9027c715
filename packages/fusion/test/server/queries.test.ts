// Query routes over real HTTP: view summaries, tree pages and sorting, stats, search, suspects, blind spots, sessions.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, openSession, startFusion, type TestFusion } from './helpers.js';

let f: TestFusion;
let sid: string;
beforeAll(async () => {
  f = await startFusion();
  sid = (await openSession(f.client, KEYS.ingest, { agent_id: 'q', pipe_id: 'p', view: 'research' })).session_id;
  const events = [
    { op: 'upsert', path: '/a', is_dir: true, mtime_ms: 1 },
    { op: 'upsert', path: '/a/big.dat', is_dir: false, size: 300, mtime_ms: 1_600_000_000_000 },
    { op: 'upsert', path: '/a/small.dat', is_dir: false, size: 10, mtime_ms: 1_600_000_000_001 },
    { op: 'upsert', path: '/a/mid.txt', is_dir: false, size: 100, mtime_ms: 1_600_000_000_002 },
    { op: 'upsert', path: '/a/sub', is_dir: true, mtime_ms: 1 },
  ];
  const r = await f.client.post(`/api/v1/pipe/sessions/${sid}/events`, KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events });
  expect(r.status).toBe(200);
});
afterAll(async () => {
  await f.close();
});

describe('queries', () => {
  it('success envelopes are written directly: JSON content type, exact length, no body for HEAD', async () => {
    const r = await f.client.get('/api/v1/views', KEYS.read);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(JSON.stringify(r.body)));
    expect(r.body.code).toBe(0);
    const head = await f.client.call('HEAD', '/api/v1/views', { key: KEYS.read });
    expect(head.status).toBe(200);
    expect(head.body).toEqual({ raw: '' });
  });

  it('GET /views summarizes each readable view with its leader', async () => {
    const r = await f.client.get('/api/v1/views', KEYS.read);
    expect(r.body.data.items).toEqual([
      expect.objectContaining({ id: 'research', file_count: 3, dir_count: 2, total_size: 410, leader: { session_id: sid, agent_id: 'q' }, session_count: 1, has_blind_spot: false, suspect_count: 0 }),
    ]);
    expect(typeof r.body.data.items[0].last_event_at_ms).toBe('number');
  });

  it('tree lists directories first, sorts and pages', async () => {
    const bySize = await f.client.get('/api/v1/views/research/tree?path=/a&sort_by=size&sort_order=desc&page_size=2', KEYS.read);
    const kids = bySize.body.data.node.children;
    expect(kids).toMatchObject({ total: 4, page: 1, page_size: 2, pages: 2 });
    expect(kids.items.map((n: any) => n.path)).toEqual(['/a/sub', '/a/big.dat']);
    const page2 = await f.client.get('/api/v1/views/research/tree?path=/a&sort_by=size&sort_order=desc&page_size=2&page=2', KEYS.read);
    expect(page2.body.data.node.children.items.map((n: any) => n.path)).toEqual(['/a/mid.txt', '/a/small.dat']);
    const root = await f.client.get('/api/v1/views/research/tree?path=/&depth=2', KEYS.read);
    expect(root.body.data.node.children.items[0].children.total).toBe(4);
  });

  it('stats counts descendants; search globs base names', async () => {
    const st = await f.client.get('/api/v1/views/research/stats?path=/a', KEYS.read);
    expect(st.body.data).toMatchObject({ path: '/a', file_count: 3, dir_count: 1, total_size: 410 });
    const s = await f.client.get('/api/v1/views/research/search?pattern=*.dat&type=file', KEYS.read);
    expect(s.status).toBe(200);
    expect(s.body.data.items.map((n: any) => n.path).sort()).toEqual(['/a/big.dat', '/a/small.dat']);
    expect(s.body.data.total).toBe(2);
  });

  it('suspects, blind spots and sessions answer pages; bad values are 40001', async () => {
    const sus = await f.client.get('/api/v1/views/research/suspects', KEYS.read);
    expect(sus.body.data).toMatchObject({ items: [], total: 0, page: 1, page_size: 100 });
    const bs = await f.client.get('/api/v1/views/research/blind-spots?kind=addition', KEYS.read);
    expect(bs.body.data.total).toBe(0);
    const bad = await f.client.get('/api/v1/views/research/blind-spots?kind=both', KEYS.read);
    expect(bad.body).toMatchObject({ code: 40001, details: { field: 'kind' } });
    const ses = await f.client.get('/api/v1/views/research/sessions', KEYS.read);
    expect(ses.body.data.items).toEqual([
      expect.objectContaining({ session_id: sid, agent_id: 'q', pipe_id: 'p', role: 'leader', can_realtime: true, client_ip: expect.any(String) }),
    ]);
  });
});
