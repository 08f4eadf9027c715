// Hostile request bodies: read only after authentication, only as JSON, never as broken text, and a 413 the client can read.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYS, openSession, startFusion, upserts, type TestFusion } from './helpers.js';
import { rawRequest } from './raw-http.js';

let f: TestFusion;
beforeEach(async () => {
  f = await startFusion();
});
afterEach(async () => {
  await f.close();
});

const events = async () => {
  const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
  return `/api/v1/pipe/sessions/${s.session_id}/events`;
};
const fileCount = async () => (await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).body.data.file_count;

function post(path: string, key: string | null, body: Buffer | string, contentType: string | null = 'application/json') {
  const headers: Record<string, string> = {};
  if (contentType) headers['content-type'] = contentType;
  if (key) headers['x-api-key'] = key;
  return fetch(`${f.server.url}${path}`, { method: 'POST', headers, body });
}

describe('paths that cannot round-trip', () => {
  it('a lone surrogate (/lone\\ud800) is 40001 naming the event (it was stored, broke jq and could never be deleted)', async () => {
    const url = await events();
    const raw = '{"message_source":"realtime","batch_seq":0,"events":[{"op":"upsert","path":"/ok","is_dir":false,"size":1,"mtime_ms":1700000000000},{"op":"upsert","path":"/lone\\ud800","is_dir":false,"size":1,"mtime_ms":1700000000000}]}';
    const res = await post(url, KEYS.ingest, raw);
    expect(res.status).toBe(400);
    const env = (await res.json()) as { code: number; message: string };
    expect(env).toMatchObject({ code: 40001, details: { field: 'events[1].path' } });
    expect(env.message).toMatch(/^events\[1\]\.path: must be valid Unicode/);
    expect(await fileCount()).toBe(0);
  });

  it('raw invalid UTF-8 in a body is 40001 naming the field (it was silently replaced with U+FFFD)', async () => {
    const url = await events();
    const head = Buffer.from('{"message_source":"realtime","batch_seq":0,"events":[{"op":"upsert","path":"/bad');
    const tail = Buffer.from('","is_dir":false,"size":1,"mtime_ms":1700000000000}]}');
    const res = await post(url, KEYS.ingest, Buffer.concat([head, Buffer.from([0xff, 0xfe]), tail]));
    expect(res.status).toBe(400);
    const env = (await res.json()) as { code: number; message: string };
    expect(env).toMatchObject({ code: 40001, details: { field: 'events[0].path' } });
    expect(env.message).toMatch(/valid UTF-8/);
    expect(await fileCount()).toBe(0);
    // any string of any body: here a heartbeat's phase
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'b', pipe_id: 'p', view: 'research' });
    const hb = await post(`/api/v1/pipe/sessions/${s.session_id}/heartbeat`, KEYS.ingest, Buffer.concat([Buffer.from('{"phase":"x'), Buffer.from([0xc3]), Buffer.from('"}')]));
    expect(await hb.json()).toMatchObject({ code: 40001, details: { field: 'phase' } });
  });

  it('a well-formed name outside the BMP and a real U+FFFD are accepted and read back as sent', async () => {
    const url = await events();
    const res = await post(url, KEYS.ingest, JSON.stringify({ message_source: 'realtime', batch_seq: 0, events: [{ op: 'upsert', path: '/😀\ufffd', is_dir: false, size: 1, mtime_ms: 1_700_000_000_000 }] }));
    expect(res.status).toBe(200);
    const found = await f.client.get(`/api/v1/views/research/tree?path=${encodeURIComponent('/😀\ufffd')}`, KEYS.read);
    expect(found.body.data.node.path).toBe('/😀\ufffd');
  });
});

describe('numbers without bounds', () => {
  it('size 1e300 or an mtime of 1e300 is 40001 and leaves total_size and the stable verdict alone (one event poisoned them forever)', async () => {
    const url = await events();
    const ok = { op: 'upsert', path: '/a/f', is_dir: false, size: 10, mtime_ms: 1_600_000_000_000 };
    expect((await f.client.post(url, KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: [ok] })).status).toBe(200);
    for (const [bad, field] of [
      [{ ...ok, path: '/a/g', size: 1e300 }, 'events[0].size'],
      [{ ...ok, path: '/a/g', size: 2 ** 64 }, 'events[0].size'],
      [{ ...ok, path: '/a/g', mtime_ms: 1e300 }, 'events[0].mtime_ms'],
      [{ op: 'upsert', path: '/a/g', is_dir: false, mtime_ms: 1_600_000_000_000 }, 'events[0].size'],
    ] as const) {
      const r = await f.client.post(url, KEYS.ingest, { message_source: 'realtime', batch_seq: 1, events: [bad] });
      expect(r.status).toBe(400);
      expect(r.body.details?.field).toBe(field);
    }
    const st = (await f.client.get('/api/v1/views/research/stats?path=/a', KEYS.read)).body.data;
    expect(st.file_count).toBe(1);
    expect(st.total_size).toBe(10);
    expect(st.latest_mtime_ms).toBe(1_600_000_000_000);
  });
});

describe('bodies are read only after authentication, and only as JSON', () => {
  it('a request without a key is answered 401 before its body arrives (Fusion buffered up to 10 MB per request)', async () => {
    const port = f.server.port;
    // headers announce 900 KB, the body never comes: only an answer that does not wait for it can arrive
    const r = await rawRequest(port, { head: `POST /api/v1/pipe/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 900000`, deadlineMs: 10_000 });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({ code: 40101 });
  });

  it('a rate-limited key is answered 429 before its body is read', async () => {
    await f.client.call('PUT', '/api/v1/admin/config', { key: KEYS.admin, body: { rate_limit_per_key_per_minute: 1 } });
    expect((await f.client.get('/api/v1/views/research/stats?path=/', KEYS.ingestAll)).status).toBe(403);
    const r = await rawRequest(f.server.port, {
      head: `POST /api/v1/pipe/sessions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEYS.ingestAll}\r\nContent-Type: application/json\r\nContent-Length: 900000`,
      deadlineMs: 10_000,
    });
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('a body that is not application/json is 415 41501 with an envelope', async () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', null]) {
      const res = await post('/api/v1/pipe/sessions', KEYS.ingest, '{"agent_id":"a","pipe_id":"p"}', ct);
      expect(res.status, String(ct)).toBe(415);
      const env = (await res.json()) as { code: number; message: string };
      expect(env.code).toBe(41501);
      expect(env.message).toMatch(/application\/json/);
    }
    const ok = await post('/api/v1/pipe/sessions', KEYS.ingest, '{"agent_id":"a","pipe_id":"p"}', 'application/json; charset=utf-8');
    expect(ok.status).toBe(200);
  });

  it('routes that take no body ignore one, and the connection stays usable', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const r = await f.client.call('POST', `/api/v1/pipe/sessions/${s.session_id}/snapshot/start`, { key: KEYS.ingest, raw: 'not json at all' });
    expect(r.status).toBe(200);
    expect((await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).status).toBe(200);
  });
});

describe('413 is an answer, not a connection reset', () => {
  // The server answered while the client was still sending, then closed: the client's next write
  // met a reset, which also discards the unread answer (about 1 run in 8 with a client that reads
  // late; every run with one that reads only after sending, as here).
  const tooBig = Buffer.alloc(6 * 1024 * 1024, 0x20); // max_body_mb is 1 in the test config
  const head = (key: string, extra: string) => `POST /api/v1/pipe/sessions HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\nContent-Type: application/json\r\n${extra}`;

  it('over Content-Length: a client that keeps sending reads 413 41301, 20 times in a row', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await rawRequest(f.server.port, { head: head(KEYS.ingest, `Content-Length: ${tooBig.length}`), body: tooBig, readAfterSend: true });
      expect(r.error, `run ${i}`).toBeNull();
      expect(r.status, `run ${i}`).toBe(413);
      expect(JSON.parse(r.body)).toMatchObject({ code: 41301 });
    }
  });

  it('chunked, found while reading: a client that keeps sending reads 413 41301, 20 times in a row', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await rawRequest(f.server.port, { head: head(KEYS.ingest, 'Transfer-Encoding: chunked'), body: tooBig, chunked: true, readAfterSend: true });
      expect(r.error, `run ${i}`).toBeNull();
      expect(r.status, `run ${i}`).toBe(413);
      expect(JSON.parse(r.body)).toMatchObject({ code: 41301 });
    }
    expect(await fileCount()).toBe(0);
  });

  it('an upload far over the drain allowance is cut, and the server keeps serving', async () => {
    const huge = Buffer.alloc(12 * 1024 * 1024, 0x20);
    const r = await rawRequest(f.server.port, { head: head(KEYS.ingest, `Content-Length: ${huge.length}`), body: huge }).catch((e: Error) => e);
    // the answer was sent first; whether the client read it before the cut is up to its kernel
    if (!(r instanceof Error)) expect(r.status).toBe(413);
    expect((await f.client.get('/readyz')).status).toBe(200);
  });
});

it('ingest still accepts an ordinary batch over keep-alive after all of the above', async () => {
  const url = await events();
  const r = await f.client.post(url, KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: upserts(3) });
  expect(r.status).toBe(200);
  expect(await fileCount()).toBe(3);
});
