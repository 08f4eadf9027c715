// Session routes (role ingest): create, heartbeat, close, commands long poll.

import { Router, type Request } from 'express';
import { commandsWaitQuerySchema, createSessionSchema, heartbeatSchema, parseOrThrow, SCAN_ENCODINGS, type ScanEncoding } from '@fustor/protocol';
import { requireRole, requireView, mayAccessView } from '../auth/access.js';
import type { Principal } from '../auth/key-registry.js';
import { ForbiddenError, ValidationError } from '../errors.js';
import type { LiveSession } from '../sessions/session-manager.js';
import { sendOk } from '../server/envelope.js';
import { authenticate, clientIp, param, type RouteContext } from './context.js';

/** Authenticates an ingest call on an existing session: 401 → 403 role → 40402 unknown session → 403 view. */
export function ingestSession(ctx: RouteContext, req: Request): { principal: Principal; session: LiveSession } {
  const principal = authenticate(ctx, req);
  requireRole(principal, 'ingest');
  const session = ctx.sessions.get(param(req, 'sid'));
  if (!mayAccessView(principal, session.rec.view)) throw new ForbiddenError(`this key is not allowed on view '${session.rec.view}'`);
  return { principal, session };
}

/**
 * The first offered encoding this node takes. A cluster forwards bodies re-serialized as JSON, so there
 * only JSON is offered (compact batches would not survive the hop to a view's owner).
 */
function scanEncoding(ctx: RouteContext, offered: readonly string[]): ScanEncoding {
  const usable = ctx.cluster() === null ? SCAN_ENCODINGS : (['json'] as const);
  return (offered.find((e) => (usable as readonly string[]).includes(e)) as ScanEncoding | undefined) ?? 'json';
}

export function sessionRoutes(ctx: RouteContext): Router {
  const r = Router();

  r.post('/pipe/sessions', (req, res) => {
    const principal = authenticate(ctx, req);
    requireRole(principal, 'ingest');
    const body = parseOrThrow(createSessionSchema, req.body ?? {});
    let view = body.view;
    if (!view) {
      if (principal.views?.length !== 1) throw new ValidationError('view', 'is required unless the key is bound to exactly one view');
      view = principal.views[0]!;
    }
    requireView(principal, view, ctx.store.view(view) !== undefined);
    const { scan_encodings: offered, ...req2 } = body;
    const created = ctx.sessions.create({ ...req2, view }, principal.id, clientIp(req));
    sendOk(res, offered === undefined ? created : { ...created, scan_encoding: scanEncoding(ctx, offered) });
  });

  r.post('/pipe/sessions/:sid/heartbeat', (req, res) => {
    const { session } = ingestSession(ctx, req);
    const body = parseOrThrow(heartbeatSchema, req.body ?? {});
    sendOk(res, ctx.sessions.heartbeat(session.rec.session_id, body));
  });

  r.delete('/pipe/sessions/:sid', (req, res) => {
    const { session } = ingestSession(ctx, req);
    ctx.sessions.close(session.rec.session_id, 'closed');
    sendOk(res, { closed: true });
  });

  r.get('/pipe/sessions/:sid/commands', async (req, res) => {
    const { session } = ingestSession(ctx, req);
    const q = parseOrThrow(commandsWaitQuerySchema, req.query);
    const abort = new AbortController();
    const onClose = () => abort.abort();
    res.once('close', onClose);
    try {
      const answer = await ctx.sessions.waitCommands(session.rec.session_id, q.wait_ms, abort.signal);
      if (!abort.signal.aborted) sendOk(res, answer);
    } finally {
      res.off('close', onClose);
    }
  });

  return r;
}
