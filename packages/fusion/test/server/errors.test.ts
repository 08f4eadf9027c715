// Error envelopes over real HTTP: 413, bad JSON, deep JSON, unknown route, 500 without a stack, 429 + Retry-After, 503.

import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@fustor/protocol';
import { FIX_TEXTS } from '../../src/errors.js';
import { healthRoutes } from '../../src/routes/health.js';
import { errorHandler } from '../../src/server/error-handler.js';
import { Metrics } from '../../src/server/metrics.js';
import { KEYS, openSession, quietLogger, startFusion, upserts, type TestFusion } from './helpers.js';

let f: TestFusion;
beforeEach(async () => {
  f = await startFusion();
});
afterEach(async () => {
  await f.close();
});

function expectErrorEnvelope(body: any, code: number): void {
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  expect(body).not.toHaveProperty('data');
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
}

describe('error envelopes', () => {
  it('a body over server.max_body_mb is 413 41301', async () => {
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    // max_body_mb is 1 in the test config
    const big = { message_source: 'realtime', batch_seq: 0, events: upserts(9000, '/' + 'x'.repeat(100)) };
    const r = await f.client.post(`/api/v1/pipe/sessions/${s.session_id}/events`, KEYS.ingest, big);
    expect(r.status).toBe(413);
    expectErrorEnvelope(r.body, 41301);
    const st = await f.client.get('/api/v1/views/research/stats', KEYS.read);
    expect(st.body.data.file_count).toBe(0);
  });

  it('a body that is not JSON is 400 40001', async () => {
    const r = await f.client.call('POST', '/api/v1/pipe/sessions', { key: KEYS.ingest, raw: '{"agent_id": "a",' });
    expect(r.status).toBe(400);
    expectErrorEnvelope(r.body, 40001);
    expect(r.body.message).toMatch(/not valid JSON/);
  });

  it('JSON nested deeper than the bound is 40001 before it reaches a handler', async () => {
    const deep = '['.repeat(100) + ']'.repeat(100);
    const r = await f.client.call('POST', '/api/v1/pipe/sessions', { key: KEYS.ingest, raw: deep });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/nesting/);
  });

  it('an unknown route is 404 40401, with or without a key', async () => {
    for (const key of [null, KEYS.admin]) {
      const r = await f.client.get('/api/v1/nope', key);
      expect(r.status).toBe(404);
      expectErrorEnvelope(r.body, 40401);
    }
    expect((await f.client.get('/nope')).body.code).toBe(40401);
  });

  it('a path that does not exist is 40401; bad query values are 40001 naming the field', async () => {
    const r = await f.client.get('/api/v1/views/research/tree?path=/missing', KEYS.read);
    expectErrorEnvelope(r.body, 40401);
    const bad = await f.client.get('/api/v1/views/research/tree?page_size=1001', KEYS.read);
    expectErrorEnvelope(bad.body, 40001);
    expect(bad.body.details).toEqual({ field: 'page_size' });
    const depth = await f.client.get('/api/v1/views/research/tree?depth=0', KEYS.read);
    expect(depth.body.details).toEqual({ field: 'depth' });
  });

  it('an unexpected failure is 500 50001 with no stack trace in the body', async () => {
    const engine = f.server.store.view('research')!;
    (engine as any).stats = () => {
      throw new Error('boom at secret place');
    };
    const r = await f.client.get('/api/v1/views/research/stats', KEYS.read);
    expect(r.status).toBe(500);
    expectErrorEnvelope(r.body, 50001);
    expect(r.body.message).not.toContain('boom');
    // Fusion carries on
    expect((await f.client.get('/healthz')).status).toBe(200);
  });

  it('per-key rate limit answers 429 42901 with Retry-After, for that key only', async () => {
    const put = await f.client.call('PUT', '/api/v1/admin/config', { key: KEYS.admin, body: { rate_limit_per_key_per_minute: 3 } });
    expect(put.body.data.runtime.rate_limit_per_key_per_minute).toBe(3);
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await f.client.get('/api/v1/views', KEYS.read)).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const limited = await f.client.get('/api/v1/views', KEYS.read);
    expectErrorEnvelope(limited.body, 42901);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await f.client.get('/api/v1/views', KEYS.readAll)).status).toBe(200);
    const get = await f.client.get('/api/v1/admin/config', KEYS.admin);
    expect(get.body.data.runtime.rate_limit_per_key_per_minute).toBe(3);
  });

  it('runtime settings are validated and survive a restart', async () => {
    const bad = await f.client.call('PUT', '/api/v1/admin/config', { key: KEYS.admin, body: { rate_limit_per_key_per_minut: 3 } });
    expectErrorEnvelope(bad.body, 40001);
    await f.client.call('PUT', '/api/v1/admin/config', { key: KEYS.admin, body: { rate_limit_per_key_per_minute: 1000 } });
    await f.restart();
    const get = await f.client.get('/api/v1/admin/config', KEYS.admin);
    expect(get.body.data.runtime.rate_limit_per_key_per_minute).toBe(1000);
  });

  it('created keys are listed without secrets and stored hashed', async () => {
    const c = await f.client.post('/api/v1/admin/api-keys', KEYS.admin, { name: 'lab', role: 'read', views: ['research'] });
    expect(c.body.data.key).toMatch(/^fk_read_/);
    const list = await f.client.get('/api/v1/admin/api-keys', KEYS.admin);
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(c.body.data.key);
    expect(list.body.data.items.find((k: any) => k.id === c.body.data.id)).toMatchObject({ role: 'read', views: ['research'], source: 'api' });
    expect(JSON.stringify(f.server.store.getSetting('api_keys'))).not.toContain(c.body.data.key);
    expect((await f.client.get('/api/v1/views/research/stats', c.body.data.key)).status).toBe(200);
    const cfgKey = list.body.data.items.find((k: any) => k.source === 'config');
    expect((await f.client.call('DELETE', `/api/v1/admin/api-keys/${cfgKey.id}`, { key: KEYS.admin })).body.code).toBe(40901);
  });

  it('/readyz answers 503 50301 while storage opens and while shutting down', async () => {
    const state = { ready: false, stopping: false };
    const app = express();
    app.use(healthRoutes({ ready: () => state.ready, shuttingDown: () => state.stopping, metricsText: () => '' }));
    app.use(errorHandler(quietLogger(), new Metrics()));
    const srv = app.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/readyz`;
    try {
      const opening = await fetch(url);
      expect(opening.status).toBe(503);
      expect(((await opening.json()) as { code: number }).code).toBe(50301);
      state.ready = true;
      expect((await fetch(url)).status).toBe(200);
      state.stopping = true;
      const closing = await fetch(url);
      expect(closing.status).toBe(503);
      expect(((await closing.json()) as { code: number }).code).toBe(50301);
    } finally {
      srv.close();
    }
  });
});

describe('docs/api.md', () => {
  const doc = readFileSync(new URL('../../../../docs/api.md', import.meta.url), 'utf8');
  it.each(Object.values(ERROR_CODES).map((e) => e.code))('documents error code %i with its fix text', (code) => {
    expect(doc).toContain(String(code));
    expect(doc).toContain(FIX_TEXTS[code]!);
  });
});
