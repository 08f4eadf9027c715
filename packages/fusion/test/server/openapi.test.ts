// The OpenAPI document: served without a key, in step with the routes the app registers (both ways), and every
// route's real answers conform to it (every documented route is called once, errors included).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_CATALOG } from '../../src/openapi/catalog.js';
import { openApiDocument, openApiPath } from '../../src/openapi/document.js';
import { KEYS, openSession, startFusion, type TestFusion } from './helpers.js';
import { OpenApiValidator } from './openapi-validator.js';
import { registeredRoutes } from './route-walk.js';

const V = '/api/v1/views/research';

describe('OpenAPI document', () => {
  let f: TestFusion;
  let v: OpenApiValidator;

  beforeAll(async () => {
    f = await startFusion();
    v = await OpenApiValidator.fetch(f.server.url);
  });
  afterAll(() => f.close());

  it('is served without a key as OpenAPI 3.1 and is the generated document', async () => {
    const res = await fetch(`${f.server.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, any>;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(doc.components.securitySchemes.ApiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
  });

  it('declares every path parameter, query parameters from the zod schemas, and the envelope of each answer', () => {
    const doc = v.doc;
    for (const [template, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      const inPath = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const op of Object.values<any>(ops)) {
        const declared = (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name);
        expect(declared, template).toEqual(inPath);
      }
    }
    const tree = doc.paths['/api/v1/views/{view}/tree'].get;
    expect(tree.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['view', 'path', 'depth', 'page', 'page_size', 'sort_by', 'sort_order', 'force_real_time']));
    expect(tree['x-fustor-role']).toBe('read');
    const answer = doc.components.schemas.GetTreeAnswer;
    expect(answer.properties.code).toEqual({ type: 'number', const: 0 });
    expect(answer.properties.data.properties.node).toEqual({ $ref: '#/components/schemas/TreeNode' });
    expect(doc.paths['/api/v1/views/{view}/changes'].get.responses['200'].content['text/event-stream']).toBeDefined();
    expect(doc.paths['/api/v1/pipe/sessions/{sid}/events'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/PostEventsBody' });
    expect(doc.paths['/healthz'].get.security).toEqual([]);
  });

  it('documents exactly the routes the express app registers (regression: a route added without a catalog entry)', () => {
    const registered = new Set(registeredRoutes(f.server.app!).map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`));
    const documented = new Set<string>();
    for (const [template, ops] of Object.entries<Record<string, unknown>>(v.doc.paths)) for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${template}`);
    expect([...registered].filter((r) => !documented.has(r)), 'registered but not documented').toEqual([]);
    expect([...documented].filter((d) => !registered.has(d)), 'documented but not registered').toEqual([]);
    expect(documented.size).toBe(ROUTE_CATALOG.length);
  });

  it('every documented route answers what the document says (each route called once, plus error envelopes)', async () => {
    const seen = new Set<string>();
    const call = async (method: string, path: string, key: string | null, body?: unknown, expectStatus?: number) => {
      const r = await f.client.call(method, path, { key, ...(body === undefined ? {} : { body }) });
      if (expectStatus !== undefined) expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(expectStatus);
      v.check(method, path, r.status, r.body);
      seen.add(`${method} ${v.templateOf(path)}`);
      return r.body.data;
    };
    const { session_id: sid } = await openSession(f.client, KEYS.ingest, { agent_id: 'oa', pipe_id: 'p', view: 'research' });
    seen.add(`POST /api/v1/pipe/sessions`);
    const S = `/api/v1/pipe/sessions/${sid}`;
    await call('POST', `${S}/principals`, KEYS.ingest, { users: { '1001': 'alice' }, groups: { '100': 'lab' } }, 200);
    await call('POST', `${S}/snapshot/start`, KEYS.ingest, undefined, 200);
    const mt = Date.now() - 3_600_000;
    const meta = { uid: 1001, gid: 100, mode: 0o644, ctime_ms: mt };
    await call('POST', `${S}/events`, KEYS.ingest, {
      message_source: 'snapshot', batch_seq: 0,
      events: [
        { op: 'upsert', path: '/a', is_dir: true, mtime_ms: mt, kind: 'dir', ...meta },
        { op: 'upsert', path: '/a/one.dat', is_dir: false, size: 1500, mtime_ms: mt, kind: 'file', ...meta },
        { op: 'upsert', path: '/a/two.dat', is_dir: false, size: 3, mtime_ms: mt - 1000, kind: 'file', ...meta },
      ],
    }, 200);
    await call('POST', `${S}/snapshot/end`, KEYS.ingest, { complete: true }, 200);
    await call('POST', `${S}/audit/start`, KEYS.ingest, undefined, 200);
    await call('POST', `${S}/audit/end`, KEYS.ingest, { complete: false }, 200);
    await call('POST', `${S}/heartbeat`, KEYS.ingest, { phase: 'idle' }, 200);
    await call('GET', `${S}/sentinel/tasks`, KEYS.ingest, undefined, 200);
    await call('POST', `${S}/sentinel/feedback`, KEYS.ingest, { results: [] }, 200);
    // an on-demand scan that times out at once leaves a command for the leader to answer
    const tree = await call('GET', `${V}/tree?path=/a&force_real_time=true&timeout_ms=0`, KEYS.read, undefined, 200);
    expect(tree.job.status).toBe('pending');
    const cmds = await call('GET', `${S}/commands?wait_ms=0`, KEYS.ingest, undefined, 200);
    expect(cmds.commands[0].type).toBe('scan');
    await call('POST', `${S}/commands/${cmds.commands[0].id}/done`, KEYS.ingest, { ok: true }, 200);

    const views = await call('GET', '/api/v1/views', KEYS.read, undefined, 200);
    expect(views.items[0].hot_file_threshold_sec).toBeGreaterThan(0);
    await call('GET', `${V}/tree?path=/&depth=2`, KEYS.read, undefined, 200);
    expect((await call('GET', `${V}/stats?path=/a`, KEYS.read, undefined, 200)).stable).toBe(true);
    await call('GET', `${V}/search?pattern=*.dat&owner=alice`, KEYS.read, undefined, 200);
    await call('GET', `${V}/suspects`, KEYS.read, undefined, 200);
    await call('GET', `${V}/blind-spots`, KEYS.read, undefined, 200);
    await call('GET', `${V}/sessions`, KEYS.read, undefined, 200);
    await call('GET', `${V}/changes?since=0&limit=10`, KEYS.read, undefined, 200);

    const sub = await call('POST', `${V}/subscriptions`, KEYS.admin, { name: 't', path: '/a', on: ['stable'], url: 'http://127.0.0.1:9/hook', secret: 'abcdefgh' }, 201);
    await call('GET', `${V}/subscriptions`, KEYS.read, undefined, 200);
    await call('GET', `${V}/subscriptions/${sub.id}`, KEYS.read, undefined, 200);
    await call('POST', `${V}/subscriptions/${sub.id}/test`, KEYS.admin, undefined, 200);
    await call('GET', `${V}/subscriptions/${sub.id}/deliveries`, KEYS.read, undefined, 200);
    await call('DELETE', `${V}/subscriptions/${sub.id}`, KEYS.admin, undefined, 200);

    const key = await call('POST', '/api/v1/admin/api-keys', KEYS.admin, { name: 'tmp', role: 'read', views: ['research'] }, 201);
    await call('GET', '/api/v1/admin/api-keys', KEYS.admin, undefined, 200);
    expect((await call('GET', '/api/v1/cluster', KEYS.read, undefined, 200)).mode).toBe('single');
    // A single node has nowhere to move a view: an envelope saying so (the cluster tests move views for real).
    await call('POST', `/api/v1/admin/views/research/move`, KEYS.admin, { to: 'elsewhere' }, 409);
    await call('DELETE', `/api/v1/admin/api-keys/${key.id}`, KEYS.admin, undefined, 200);
    await call('GET', '/api/v1/admin/config', KEYS.admin, undefined, 200);
    await call('PUT', '/api/v1/admin/config', KEYS.admin, { log_level: 'error' }, 200);
    await call('GET', `${V}/usage?path=/a&by=owner`, KEYS.read, undefined, 200);
    await call('GET', `${V}/top?path=/&by=size&limit=5`, KEYS.read, undefined, 200);
    await call('GET', `${V}/top?path=/&by=size&type=dir`, KEYS.read, undefined, 200);
    await call('GET', `${V}/histogram?path=/&of=age`, KEYS.read, undefined, 200);
    await call('DELETE', `${V}/tree`, KEYS.admin, undefined, 200);
    await call('DELETE', S, KEYS.ingest, undefined, 200);
    await call('GET', '/healthz', null, undefined, 200);
    await call('GET', '/readyz', null, undefined, 200);

    // error envelopes conform too
    await call('GET', '/api/v1/views', null, undefined, 401);
    await call('GET', '/api/v1/views/nope/stats', KEYS.admin, undefined, 404);
    await call('GET', `${V}/tree?depth=zero`, KEYS.read, undefined, 400);
    await call('GET', `${V}/stats`, KEYS.readOther, undefined, 403);

    for (const [path, type] of [['/metrics', 'text/plain'], ['/api/v1/openapi.json', 'application/json'], ['/', 'text/html']] as const) {
      const res = await fetch(`${f.server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      await res.arrayBuffer();
      seen.add(`GET ${path}`);
    }
    const all = ROUTE_CATALOG.map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`);
    expect(all.filter((r) => !seen.has(r)), 'documented routes this test did not call').toEqual([]);
  });
});
