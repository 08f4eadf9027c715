// Admin routes: API keys (create/list/revoke), runtime config, view reset.

import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { createApiKeySchema, parseOrThrow, runtimeSettingsSchema, type ApiKeyCreated, type ResnapshotCommand } from '@fustor/protocol';
import { requireRole } from '../auth/access.js';
import { sendOk } from '../server/envelope.js';
import { authenticate, durable, param, takesBody, type RouteContext } from './context.js';
import { readView } from './queries.js';

export function adminRoutes(ctx: RouteContext): Router {
  const r = Router();
  const admin = (req: Parameters<typeof authenticate>[1]) => requireRole(authenticate(ctx, req), 'admin');

  const withBody = takesBody(ctx, 'admin');

  r.post('/admin/api-keys', withBody, (req, res) => {
    admin(req);
    const body = parseOrThrow(createApiKeySchema, req.body ?? {});
    const { key, record } = ctx.keys.create(body.name, body.role, body.views ?? null);
    ctx.log.info('api key created', { key_id: record.id, role: record.role, views: record.views });
    const out: ApiKeyCreated = { id: record.id, key, key_prefix: record.key_prefix, name: record.name, role: record.role, views: record.views };
    sendOk(res, out, 201);
  });

  r.get('/admin/api-keys', (req, res) => {
    admin(req);
    const items = ctx.keys.list();
    sendOk(res, { items, total: items.length });
  });

  r.delete('/admin/api-keys/:id', (req, res) => {
    admin(req);
    const id = param(req, 'id');
    ctx.keys.revoke(id);
    ctx.log.info('api key revoked', { key_id: id });
    sendOk(res, { id, revoked: true });
  });

  r.get('/admin/config', (req, res) => {
    admin(req);
    const c = ctx.config();
    sendOk(res, {
      runtime: ctx.runtime(),
      file: c.file,
      server: c.server,
      session: c.session,
      storage: { synchronous: c.storage.synchronous },
      views: c.views,
    });
  });

  r.put('/admin/config', withBody, (req, res) => {
    admin(req);
    const patch = parseOrThrow(runtimeSettingsSchema, req.body ?? {});
    const next = { ...ctx.runtime(), ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
    ctx.setRuntime(next);
    sendOk(res, { runtime: ctx.runtime() });
  });

  r.delete('/views/:view/tree', async (req, res) => {
    const engine = readView(ctx, req, 'admin');
    engine.reset();
    await durable(engine);
    const sessions = ctx.sessions.sessionsOf(engine.id);
    for (const s of sessions) {
      const cmd: ResnapshotCommand = { id: `cmd_${randomBytes(9).toString('base64url')}`, type: 'resnapshot' };
      ctx.jobs.add(cmd, s.rec.session_id, engine.id);
      ctx.sessions.enqueue(s.rec.session_id, cmd);
    }
    ctx.log.info('view reset', { view: engine.id, sessions_told: sessions.length });
    sendOk(res, { view: engine.id, reset: true, sessions_notified: sessions.length });
  });

  return r;
}
