// The auth matrix of every route: no key, wrong role, wrong view and revoked key, table-driven.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, openSession, startFusion, type TestFusion } from './helpers.js';

type Group = 'ingest' | 'read' | 'admin';
interface RouteCase {
  name: string;
  group: Group;
  method: string;
  /** `:sid` is replaced by a fresh research session; `:view` by the view under test. */
  path: string;
  body?: unknown;
  /** Route is about a view (for the wrong-view case). */
  viewScoped: boolean;
}

const ROUTES: RouteCase[] = [
  { name: 'create session', group: 'ingest', method: 'POST', path: '/api/v1/pipe/sessions', body: { agent_id: 'x', pipe_id: 'y', view: ':view' }, viewScoped: true },
  { name: 'heartbeat', group: 'ingest', method: 'POST', path: '/api/v1/pipe/sessions/:sid/heartbeat', body: {}, viewScoped: true },
  { name: 'commands long poll', group: 'ingest', method: 'GET', path: '/api/v1/pipe/sessions/:sid/commands?wait_ms=0', viewScoped: true },
  { name: 'events', group: 'ingest', method: 'POST', path: '/api/v1/pipe/sessions/:sid/events', body: { message_source: 'realtime', batch_seq: 0, events: [] }, viewScoped: true },
  { name: 'snapshot/start', group: 'ingest', method: 'POST', path: '/api/v1/pipe/sessions/:sid/snapshot/start', body: {}, viewScoped: true },
  { name: 'snapshot/end', group: 'ingest', method: 'POST', path: '/api/v1/pipe/sessions/:sid/snapshot/end', body: { complete: true }, viewScoped: true },
  { name: 'audit/start', group: 'ingest', method: 'POST', path: '/api/v1/pipe/sessions/:sid/audit/start', body: {}, viewScoped: true },
  { name: 'audit/end', group: 'ingest', method: 'POST', path: '/api/v1/pipe/sessions/:sid/audit/end', body: { complete: true }, viewScoped: true },
  { name: 'sentinel tasks', group: 'ingest', method: 'GET', path: '/api/v1/pipe/sessions/:sid/sentinel/tasks', viewScoped: true },
  { name: 'sentinel feedback', group: 'ingest', method: 'POST', path: '/api/v1/pipe/sessions/:sid/sentinel/feedback', body: { results: [] }, viewScoped: true },
  { name: 'command done', group: 'ingest', method: 'POST', path: '/api/v1/pipe/sessions/:sid/commands/cmd_x/done', body: { ok: true }, viewScoped: true },
  { name: 'principals', group: 'ingest', method: 'POST', path: '/api/v1/pipe/sessions/:sid/principals', body: { users: { '1000': 'alice' } }, viewScoped: true },
  { name: 'close session', group: 'ingest', method: 'DELETE', path: '/api/v1/pipe/sessions/:sid', viewScoped: true },
  { name: 'list views', group: 'read', method: 'GET', path: '/api/v1/views', viewScoped: false },
  { name: 'tree', group: 'read', method: 'GET', path: '/api/v1/views/:view/tree?path=/', viewScoped: true },
  { name: 'stats', group: 'read', method: 'GET', path: '/api/v1/views/:view/stats?path=/', viewScoped: true },
  { name: 'search', group: 'read', method: 'GET', path: '/api/v1/views/:view/search?pattern=*', viewScoped: true },
  { name: 'suspects', group: 'read', method: 'GET', path: '/api/v1/views/:view/suspects', viewScoped: true },
  { name: 'blind spots', group: 'read', method: 'GET', path: '/api/v1/views/:view/blind-spots', viewScoped: true },
  { name: 'view sessions', group: 'read', method: 'GET', path: '/api/v1/views/:view/sessions', viewScoped: true },
  { name: 'usage report', group: 'read', method: 'GET', path: '/api/v1/views/:view/usage?by=owner', viewScoped: true },
  { name: 'top report', group: 'read', method: 'GET', path: '/api/v1/views/:view/top?by=size', viewScoped: true },
  { name: 'histogram report', group: 'read', method: 'GET', path: '/api/v1/views/:view/histogram?of=size', viewScoped: true },
  { name: 'create key', group: 'admin', method: 'POST', path: '/api/v1/admin/api-keys', body: { name: 'n', role: 'read' }, viewScoped: false },
  { name: 'list keys', group: 'admin', method: 'GET', path: '/api/v1/admin/api-keys', viewScoped: false },
  { name: 'revoke key', group: 'admin', method: 'DELETE', path: '/api/v1/admin/api-keys/key_nope', viewScoped: false },
  { name: 'get config', group: 'admin', method: 'GET', path: '/api/v1/admin/config', viewScoped: false },
  { name: 'put config', group: 'admin', method: 'PUT', path: '/api/v1/admin/config', body: {}, viewScoped: false },
  { name: 'cluster', group: 'read', method: 'GET', path: '/api/v1/cluster', viewScoped: false },
  { name: 'move view', group: 'admin', method: 'POST', path: '/api/v1/admin/views/:view/move', body: { to: 'x' }, viewScoped: false },
  { name: 'reset view', group: 'admin', method: 'DELETE', path: '/api/v1/views/:view/tree', viewScoped: true },
];

/** A key of the right role, bound to research only (admin keys are unbound). */
const RIGHT: Record<Group, string> = { ingest: KEYS.ingest, read: KEYS.read, admin: KEYS.admin };
/** Keys whose role does not allow the group. */
const WRONG_ROLE: Record<Group, string[]> = {
  ingest: [KEYS.readAll],
  read: [KEYS.ingestAll],
  admin: [KEYS.readAll, KEYS.ingestAll],
};
/** Right role, bound to the other view. */
const OTHER_VIEW: Partial<Record<Group, string>> = { ingest: KEYS.ingestOther, read: KEYS.readOther };

let f: TestFusion;
beforeAll(async () => {
  f = await startFusion();
});
afterAll(async () => {
  await f.close();
});

let n = 0;
/** `owner` opens the `:sid` session (sessions belong to the key that created them). */
async function call(rc: RouteCase, key: string | null, view = 'research', headers?: Record<string, string>, owner: string = KEYS.ingestAll) {
  let path = rc.path.replace(':view', view);
  if (path.includes(':sid')) {
    const s = await openSession(f.client, owner, { agent_id: `m${n++}`, pipe_id: 'p', view: 'research' });
    path = path.replace(':sid', s.session_id);
  }
  const body = rc.body === undefined ? undefined : JSON.parse(JSON.stringify(rc.body).replace(':view', view));
  return f.client.call(rc.method, path, { key, body, headers });
}

describe.each(ROUTES)('$method $path ($name)', (rc) => {
  it('no key → 401 40101', async () => {
    const r = await call(rc, null);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 40101 });
    expect(typeof r.body.message).toBe('string');
  });

  it('unknown key → 401 40101', async () => {
    const r = await call(rc, 'fk_not_a_real_key_at_all_000');
    expect(r.status).toBe(401);
  });

  it('wrong role → 403 40301', async () => {
    for (const key of WRONG_ROLE[rc.group]) {
      const r = await call(rc, key);
      expect(r.status, `key ${key.slice(0, 12)}`).toBe(403);
      expect(r.body.code).toBe(40301);
    }
  });

  it('right role and view → neither 401 nor 403 (X-API-Key and Bearer)', async () => {
    // 40302 (follower session on a leader-only route) is an election answer, not an auth failure
    const owner = rc.group === 'read' ? KEYS.ingestAll : RIGHT[rc.group];
    const r = await call(rc, RIGHT[rc.group], 'research', undefined, owner);
    expect([40101, 40301, 40402]).not.toContain(r.body.code);
    expect(r.status).toBeLessThan(500);
    const b = await call(rc, null, 'research', { authorization: `Bearer ${RIGHT[rc.group]}` }, owner);
    expect([40101, 40301, 40402]).not.toContain(b.body.code);
  });

  it('revoked key → 401 40101 on the next request', async () => {
    const created = await f.client.post('/api/v1/admin/api-keys', KEYS.admin, { name: `t-${rc.name}`, role: rc.group, views: rc.group === 'admin' ? null : ['research'] });
    expect(created.status).toBe(201);
    const { key, id } = created.body.data;
    const owner = rc.group === 'read' ? KEYS.ingestAll : key;
    const before = await call(rc, key, 'research', undefined, owner);
    expect([40101, 40301, 40402]).not.toContain(before.body.code);
    const del = await f.client.call('DELETE', `/api/v1/admin/api-keys/${id}`, { key: KEYS.admin });
    expect(del.status).toBe(200);
    const after = await call(rc, key, 'research', undefined, rc.group === 'read' ? KEYS.ingestAll : RIGHT[rc.group]);
    expect(after.status).toBe(401);
  });
});

describe.each(ROUTES.filter((rc) => rc.viewScoped && OTHER_VIEW[rc.group] !== undefined))('$method $path ($name), view binding', (rc) => {
  if (rc.path.includes(':sid')) {
    it("another key's session (here: of another view) → 404 40402, like an unknown one, naming no view", async () => {
      const r = await call(rc, OTHER_VIEW[rc.group]!, 'research');
      expect(r.status).toBe(404);
      expect(r.body.code).toBe(40402);
      expect(r.body.message).not.toContain('research');
    });
    return;
  }
  it('key bound to another view → 403 40301 (existing or not)', async () => {
    const key = OTHER_VIEW[rc.group]!;
    const r = await call(rc, key, 'research');
    expect(r.status).toBe(403);
    expect(r.body.code).toBe(40301);
    const missing = await call(rc, key, 'no-such-view');
    expect(missing.status).toBe(403);
  });
});

describe.each(ROUTES.filter((rc) => rc.path.includes(':sid')))('$method $path ($name), session ownership', (rc) => {
  it("an ingest key of the same view on another key's session → 404 40402; the admin key may act on it", async () => {
    const r = await call(rc, KEYS.ingest, 'research', undefined, KEYS.ingestAll);
    expect(r.status).toBe(404);
    expect(r.body.code).toBe(40402);
    const admin = await call(rc, KEYS.admin, 'research', undefined, KEYS.ingestAll);
    expect([40101, 40301, 40402]).not.toContain(admin.body.code);
  });
});

describe.each(ROUTES.filter((rc) => rc.viewScoped && !rc.path.includes(':sid')))('$method $path ($name), unknown view', (rc) => {
  it('unbound key on an unknown view → 404 40401', async () => {
    const key = rc.group === 'admin' ? KEYS.admin : rc.group === 'read' ? KEYS.readAll : KEYS.ingestAll;
    const r = await call(rc, key, 'no-such-view');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe(40401);
  });

});

describe('list views filters by binding', () => {
  it('a key bound to one view sees only that view', async () => {
    const r = await f.client.get('/api/v1/views', KEYS.readOther);
    expect(r.body.data.items.map((v: any) => v.id)).toEqual(['other']);
    const all = await f.client.get('/api/v1/views', KEYS.readAll);
    expect(all.body.data.items.map((v: any) => v.id).sort()).toEqual(['other', 'research']);
  });
});

describe('unauthenticated probes', () => {
  it.each(['/healthz', '/readyz'])('%s answers the envelope without a key', async (p) => {
    const r = await f.client.get(p);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ code: 0, message: 'success', data: { status: 'ok' } });
  });
  it('/metrics is Prometheus text without a key', async () => {
    const res = await fetch(`${f.server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^fustor_view_files\{view="research"\} \d+$/m);
    expect(text).not.toContain(KEYS.admin);
  });
});
