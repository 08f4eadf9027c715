// Leader-only phase signals (snapshot/audit start|end), sentinel tasks/feedback and command completion.

import { Router } from 'express';
import { commandDoneSchema, parseOrThrow, phaseEndSchema, sentinelFeedbackSchema } from '@fustor/protocol';
import { ConflictError, NotFoundError, NotLeaderError } from '../errors.js';
import type { LiveSession } from '../sessions/session-manager.js';
import type { ViewEngine } from '../contract.js';
import { sendOk } from '../server/envelope.js';
import { durable, param, takesBody, type RouteContext } from './context.js';
import { ingestSession } from './sessions.js';

const SENTINEL_BATCH = 1000;

function leaderEngine(ctx: RouteContext, s: LiveSession, what: string): ViewEngine {
  if (s.rec.role !== 'leader') throw new NotLeaderError(`${what} is for the view leader; this session is a follower`);
  const engine = ctx.store.view(s.rec.view);
  if (!engine) throw new NotFoundError(`view '${s.rec.view}' is no longer configured`);
  return engine;
}

export function phaseRoutes(ctx: RouteContext): Router {
  const r = Router();
  const base = '/pipe/sessions/:sid';
  const withBody = takesBody(ctx, 'ingest');

  r.post(`${base}/snapshot/start`, async (req, res) => {
    const { session } = ingestSession(ctx, req);
    const engine = leaderEngine(ctx, session, 'snapshot/start');
    const clearBlindSpots = ctx.sessions.markSnapshotStarted(session);
    engine.snapshotStart(clearBlindSpots);
    await durable(engine);
    sendOk(res, { started: true, cleared_blind_spots: clearBlindSpots });
  });

  r.post(`${base}/snapshot/end`, withBody, async (req, res) => {
    const { session } = ingestSession(ctx, req);
    const engine = leaderEngine(ctx, session, 'snapshot/end');
    const body = parseOrThrow(phaseEndSchema, req.body ?? {});
    if (!session.rec.snapshot_started) throw new ConflictError('snapshot/end without snapshot/start in this session; send snapshot/start first');
    engine.snapshotEnd(body.complete);
    await durable(engine);
    sendOk(res, { ended: true, complete: body.complete });
  });

  r.post(`${base}/audit/start`, async (req, res) => {
    const { session } = ingestSession(ctx, req);
    const engine = leaderEngine(ctx, session, 'audit/start');
    engine.auditStart();
    await durable(engine);
    sendOk(res, { started: true });
  });

  r.post(`${base}/audit/end`, withBody, async (req, res) => {
    const { session } = ingestSession(ctx, req);
    const engine = leaderEngine(ctx, session, 'audit/end');
    const body = parseOrThrow(phaseEndSchema, req.body ?? {});
    const out = engine.auditEnd(body.complete);
    await durable(engine);
    sendOk(res, { ended: true, complete: body.complete, deleted: out.deleted });
  });

  r.get(`${base}/sentinel/tasks`, (req, res) => {
    const { session } = ingestSession(ctx, req);
    sendOk(res, { paths: leaderEngine(ctx, session, 'sentinel/tasks').sentinelTasks(SENTINEL_BATCH) });
  });

  r.post(`${base}/sentinel/feedback`, withBody, async (req, res) => {
    const { session } = ingestSession(ctx, req);
    const engine = leaderEngine(ctx, session, 'sentinel/feedback');
    const body = parseOrThrow(sentinelFeedbackSchema, req.body ?? {});
    const out = engine.sentinelFeedback(body.results);
    await durable(engine);
    sendOk(res, out);
  });

  r.post(`${base}/commands/:cid/done`, withBody, (req, res) => {
    const { session } = ingestSession(ctx, req);
    const body = parseOrThrow(commandDoneSchema, req.body ?? {});
    const cid = param(req, 'cid');
    const job = ctx.jobs.get(cid);
    if (!job || job.session_id !== session.rec.session_id) throw new NotFoundError(`command '${cid}' not found for this session`);
    ctx.jobs.finish(cid, body.ok, body.error ?? null);
    sendOk(res, { id: cid, status: ctx.jobs.get(cid)?.status ?? 'done' });
  });

  return r;
}
