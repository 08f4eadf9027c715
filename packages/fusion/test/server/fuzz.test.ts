// Fuzz: 10,000 random and mutated bodies/queries across the ingest and query routes — no 5xx, no crash,
// and rejected batches change nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, openSession, startFusion, upserts, type TestFusion } from './helpers.js';
import { seededRandom } from '@fustor/test-helpers';

let f: TestFusion;
beforeAll(async () => {
  f = await startFusion();
});
afterAll(async () => {
  await f.close();
});

const ATOMS: unknown[] = [null, true, false, 0, -1, 1e308, -0.5, 2 ** 53 + 2, '', 'x', '/', '/a', '//', '/a/../b', '\u0000', 'é/ü', '%2e%2e', 'a'.repeat(5000), [], {}, [1, [2, [3]]], { op: 'upsert' }];
const FIELDS = ['op', 'path', 'is_dir', 'size', 'mtime_ms', 'observed_at_ms', 'is_atomic_write', 'parent_path', 'parent_mtime_ms', 'audit_skipped', 'message_source', 'batch_seq', 'command_id', 'events', 'agent_id', 'pipe_id', 'view', 'complete', 'ok', 'error', 'results', 'exists', '__proto__', 'constructor'];

function randomValue(r: () => number, depth = 0): unknown {
  const k = r();
  if (depth > 3 || k < 0.5) return ATOMS[Math.floor(r() * ATOMS.length)];
  if (k < 0.75) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 5); i > 0; i--) o[FIELDS[Math.floor(r() * FIELDS.length)]!] = randomValue(r, depth + 1);
  return o;
}

/** A valid batch with one field of one event broken (so the whole batch must be rejected). */
function brokenBatch(r: () => number, seq: number): unknown {
  const events = upserts(1 + Math.floor(r() * 5), `/fz${seq}_`);
  const victim = events[Math.floor(r() * events.length)]!;
  const field = ['path', 'is_dir', 'mtime_ms', 'size', 'op', 'bogus'][Math.floor(r() * 6)]!;
  victim[field] = field === 'size' ? -1 : field === 'path' ? 'no-slash' : field === 'bogus' ? 1 : 'wrong';
  return { message_source: 'realtime', batch_seq: seq, events };
}

function randomQuery(r: () => number): string {
  const keys = ['path', 'depth', 'page', 'page_size', 'sort_by', 'sort_order', 'only_path', 'kind', 'pattern', 'type', 'min_size', 'timeout_ms', 'by', 'of', 'limit', 'order', 'owner', 'uid', 'gid', 'suspect', 'blind_spot'];
  const vals = ['', '0', '-1', '1', '10', '1001', 'abc', '/', '/a/..', '//x', 'true', 'name', 'desc', '%00', '*', '[', 'addition', '1e400', 'owner', 'size', 'age', 'deletion', '4294967295'];
  const parts: string[] = [];
  for (let i = Math.floor(r() * 4); i > 0; i--) parts.push(`${keys[Math.floor(r() * keys.length)]}=${encodeURIComponent(vals[Math.floor(r() * vals.length)]!)}`);
  return parts.join('&');
}

describe('fuzz', () => {
  it('10,000 random requests: no 5xx, and rejected batches leave the view unchanged', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'fz', pipe_id: 'p', view: 'research' });
    const base = `/api/v1/pipe/sessions/${s.session_id}`;
    expect((await f.client.post(`${base}/events`, KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: upserts(3, '/keep') })).status).toBe(200);
    const before = (await f.client.get('/api/v1/views/research/stats', KEYS.read)).body.data;

    const r = seededRandom(1234);
    const postRoutes = [`${base}/events`, `${base}/heartbeat`, '/api/v1/pipe/sessions', `${base}/sentinel/feedback`, `${base}/commands/cmd_x/done`, `${base}/audit/end`, `${base}/snapshot/end`];
    const getRoutes = ['tree', 'stats', 'search', 'suspects', 'blind-spots', 'sessions', 'usage', 'top', 'histogram'].map((q) => `/api/v1/views/research/${q}`);
    const statuses = new Map<number, number>();
    const TOTAL = 10_000;
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        let res;
        const kind = r();
        if (kind < 0.35) {
          // batch_seq 1 is the next expected number: only validation can stop these
          res = await f.client.call('POST', `${base}/events`, { key: KEYS.ingest, body: brokenBatch(r, 1) });
          expect(res.status, JSON.stringify(res.body)).toBe(400);
        } else if (kind < 0.7) {
          const route = postRoutes[Math.floor(r() * postRoutes.length)]!;
          const body = r() < 0.1 ? { raw: '{"a":' + '['.repeat(Math.floor(r() * 50)) } : { body: randomValue(r) };
          res = await f.client.call('POST', route, { key: KEYS.ingest, ...body });
        } else {
          const route = getRoutes[Math.floor(r() * getRoutes.length)]!;
          res = await f.client.get(`${route}?${randomQuery(r)}`, KEYS.read);
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `request ${i}: ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(500);
        expect(typeof res.body.code).toBe('number');
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(TOTAL);

    // nothing rejected was applied (a random body forming a valid non-empty batch is astronomically unlikely)
    const after = (await f.client.get('/api/v1/views/research/stats', KEYS.read)).body.data;
    const tree = (await f.client.get('/api/v1/views/research/tree?path=/&page_size=1000', KEYS.read)).body.data.node.children.items.map((n: any) => n.path);
    expect(tree.filter((p: string) => p.startsWith('/fz'))).toEqual([]);
    expect(after.file_count).toBe(before.file_count);
    expect(after.dir_count).toBe(before.dir_count);
    expect((await f.client.get('/healthz')).status).toBe(200);
  }, 180_000);
});
