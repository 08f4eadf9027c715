// The cluster (cluster.md): GET /cluster (role read) shows nodes and owners; POST /admin/views/{v}/move (admin) hands a view over.

import { Router } from 'express';
import { moveViewSchema, parseOrThrow } from '@fustor/protocol';
import { requireRole } from '../auth/access.js';
import { MoveError } from '../cluster/cluster-node.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { sendOk } from '../server/envelope.js';
import { authenticate, param, takesBody, type RouteContext } from './context.js';

export function clusterRoutes(ctx: RouteContext): Router {
  const r = Router();

  r.get('/cluster', (req, res) => {
    requireRole(authenticate(ctx, req), 'read');
    const cluster = ctx.cluster();
    if (cluster) return sendOk(res, cluster.info());
    // Single node on SQLite: the same shape, one node owning every view.
    const c = ctx.config();
    sendOk(res, {
      mode: 'single',
      node: c.cluster.node_id,
      lease_sec: c.cluster.lease_sec,
      nodes: [{ id: c.cluster.node_id, url: c.cluster.advertise_url, alive: true, last_seen_ms: Date.now(), views: ctx.store.views().length, files: ctx.store.views().reduce((n, v) => n + v.counters().file_count, 0) }],
      views: ctx.store.views().map((v) => ({ view: v.id, owner: c.cluster.node_id, url: c.cluster.advertise_url, epoch: 0, expired: false })),
    });
  });

  r.post('/admin/views/:view/move', takesBody(ctx, 'admin'), async (req, res) => {
    requireRole(authenticate(ctx, req), 'admin');
    const view = param(req, 'view');
    const body = parseOrThrow(moveViewSchema, req.body ?? {});
    const cluster = ctx.cluster();
    if (!cluster) throw new ConflictError('this Fusion runs alone on SQLite: there is no other node to move a view to (storage.backend: postgres runs a cluster)');
    if (!ctx.store.view(view)) throw new NotFoundError(`view '${view}' is not served by this node`);
    try {
      sendOk(res, await cluster.move(view, body.to));
    } catch (err) {
      if (err instanceof MoveError) throw new ConflictError(err.message);
      throw err;
    }
  });

  return r;
}
