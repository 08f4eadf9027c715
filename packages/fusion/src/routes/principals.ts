// Owner/group names from agents (role ingest): POST /pipe/sessions/{sid}/principals (consumers.md §1).

import { Router } from 'express';
import { parseOrThrow, principalsSchema } from '@fustor/protocol';
import { NotFoundError } from '../errors.js';
import { sendOk } from '../server/envelope.js';
import { durable, takesBody, type RouteContext } from './context.js';
import { ingestSession } from './sessions.js';

export function principalRoutes(ctx: RouteContext): Router {
  const r = Router();

  r.post('/pipe/sessions/:sid/principals', takesBody(ctx, 'ingest'), async (req, res) => {
    const { session } = ingestSession(ctx, req);
    const body = parseOrThrow(principalsSchema, req.body ?? {});
    const engine = ctx.store.view(session.rec.view);
    if (!engine) throw new NotFoundError(`view '${session.rec.view}' is no longer configured`);
    const changed = engine.setPrincipals(body.users ?? {}, body.groups ?? {});
    await durable(engine);
    sendOk(res, { users: changed.users, groups: changed.groups });
  });

  return r;
}
