// Session routes (role ingest): create, heartbeat, close, commands long poll.

import { Router, type Request } from 'express';
import { commandsWaitQuerySchema, createSessionSchema, heartbeatSchema, parseOrThrow, SCAN_ENCODINGS, type ScanEncoding } from '@fustor/protocol';
import { requireRole, requireView, mayAccessView } from '../auth/access.js';
import type { Principal } from '../auth/key-registry.js';
import { ForbiddenError, SessionExpiredError, ValidationError } from '../errors.js';
import type { LiveSession } from '../sessions/session-manager.js';
import { sendOk } from '../server/envelope.js';
import { authenticate, clientIp, durable, param, takesBody, type RouteContext } from './context.js';

/**
 * Authenticates an ingest call on an existing session: 401 → 403 role → 40402 unknown session, or a
 * session another key created (admin excepted) → 403 view. A foreign session answers exactly like
 * an unknown one: its id (visible to read keys) must not let another agent heartbeat, post to or
 * close it, nor learn that it exists.
 */
export function ingestSession(ctx: RouteContext, req: Request): { principal: Principal; session: LiveSession } {
  const principal = authenticate(ctx, req);
  requireRole(principal, 'ingest');
  const sid = param(req, 'sid');
  const session = ctx.sessions.get(sid);
  if (principal.role !== 'admin' && session.rec.key_id !== principal.id) throw new SessionExpiredError(sid);
  if (!mayAccessView(principal, session.rec.view)) throw new ForbiddenError(`this key is not allowed on view '${session.rec.view}'`);
  return { principal, session };
}

/**
 * The first offered encoding this node takes. In a cluster only JSON is offered for now: an events body
 * may be forwarded to the view's owner, and that path is tested with JSON bodies only.
 */
function scanEncoding(ctx: RouteContext, offered: readonly string[]): ScanEncoding {
  const usable = ctx.cluster() === null ? SCAN_ENCODINGS : (['json'] as const);
  return (offered.find((e) => (usable as readonly string[]).includes(e)) as ScanEncoding | undefined) ?? 'json';
}

export function sessionRoutes(ctx: RouteContext): Router {
  const r = Router();
  const withBody = takesBody(ctx, 'ingest');

  r.post('/pipe/sessions', withBody, async (req, res) => {
    const principal = authenticate(ctx, req);
    requireRole(principal, 'ingest');
    const body = parseOrThrow(createSessionSchema, req.body ?? {});
    let view = body.view;
    if (!view) {
      if (principal.views?.length !== 1) throw new ValidationError('view', 'is required unless the key is bound to exactly one view');
      view = principal.views[0]!;
    }
    const engine = ctx.store.view(view);
    requireView(principal, view, engine !== undefined);
    const { scan_encodings: offered, ...rest } = body;
    const created = ctx.sessions.create({ ...rest, view }, principal.id, clientIp(req));
    // Cluster: the session row must be in PostgreSQL before any node is asked about it (immediate on SQLite).
    await durable(engine!);
    sendOk(res, offered === undefined ? created : { ...created, scan_encoding: scanEncoding(ctx, offered) });
  });

  r.post('/pipe/sessions/:sid/heartbeat', withBody, (req, res) => {
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
