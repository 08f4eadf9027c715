// Query routes (role read): views, tree (with force_real_time on-demand scans), stats, suspects, blind spots, sessions.

import { randomBytes } from 'node:crypto';
import { Router, type Request } from 'express';
import {
  blindSpotsQuerySchema,
  pageOf,
  pageQuerySchema,
  parseOrThrow,
  searchQuerySchema,
  statsQuerySchema,
  suspectsQuerySchema,
  treeQuerySchema,
  type ScanCommand,
  type ViewSummary,
} from '@fustor/protocol';
import { mayAccessView, requireRole, requireView } from '../auth/access.js';
import { NotFoundError } from '../errors.js';
import { SessionManager } from '../sessions/session-manager.js';
import type { ViewEngine } from '../contract.js';
import { sendOk } from '../server/envelope.js';
import { authenticate, param, type RouteContext } from './context.js';

/** read role (or admin), key bound to the view (403), view exists (404). */
export function readView(ctx: RouteContext, req: Request, role: 'read' | 'admin' = 'read'): ViewEngine {
  const p = authenticate(ctx, req);
  requireRole(p, role);
  const id = param(req, 'view');
  const engine = ctx.store.view(id);
  requireView(p, id, engine !== undefined);
  return engine!;
}

export function summarize(ctx: RouteContext, engine: ViewEngine): ViewSummary {
  const c = engine.counters();
  const leader = ctx.sessions.leaderOf(engine.id);
  return {
    id: engine.id,
    file_count: c.file_count,
    dir_count: c.dir_count,
    total_size: c.total_size,
    leader: leader ? { session_id: leader.rec.session_id, agent_id: leader.rec.agent_id } : null,
    session_count: ctx.sessions.sessionsOf(engine.id).length,
    has_blind_spot: c.blind_spot_count > 0,
    suspect_count: c.suspect_count,
    last_event_at_ms: c.last_event_at_ms,
    snapshot_complete: c.snapshot_complete,
    last_snapshot_end_ms: c.last_snapshot_end_ms,
    last_audit_end_ms: c.last_audit_end_ms,
    audit_count: c.audit_count,
    is_auditing: c.is_auditing,
    can_realtime: ctx.sessions.canRealtime(engine.id),
    staleness_ms: c.staleness_ms,
    hot_file_threshold_sec: engine.config.hot_file_threshold_sec,
    partial: !c.snapshot_complete,
  };
}

/** A summary published by the owning node (cluster mode); leader and sessions are the owner's to say. */
function remoteSummary(id: string, s: Record<string, unknown> & { owner: string }): ViewSummary & { owner: string } {
  const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);
  const complete = s.snapshot_complete === true;
  return {
    id,
    owner: s.owner,
    file_count: n('file_count'),
    dir_count: n('dir_count'),
    total_size: n('total_size'),
    leader: (s.leader as ViewSummary['leader']) ?? null,
    session_count: n('session_count'),
    has_blind_spot: s.has_blind_spot === true,
    suspect_count: n('suspect_count'),
    last_event_at_ms: (s.last_event_at_ms as number | null) ?? null,
    snapshot_complete: complete,
    last_snapshot_end_ms: (s.last_snapshot_end_ms as number | null) ?? null,
    last_audit_end_ms: (s.last_audit_end_ms as number | null) ?? null,
    audit_count: n('audit_count'),
    is_auditing: s.is_auditing === true,
    can_realtime: s.can_realtime === true,
    staleness_ms: (s.staleness_ms as number | null) ?? null,
    partial: !complete,
    hot_file_threshold_sec: n('hot_file_threshold_sec'),
  };
}

export function queryRoutes(ctx: RouteContext): Router {
  const r = Router();

  r.get('/views', async (req, res) => {
    const p = authenticate(ctx, req);
    requireRole(p, 'read');
    const items: Array<ViewSummary & { owner?: string }> = ctx.store
      .views()
      .filter((v) => mayAccessView(p, v.id))
      .map((v) => summarize(ctx, v));
    const cluster = ctx.cluster();
    if (cluster) {
      // Views served by other nodes, as their owners last published them (a few seconds old at most).
      const local = new Set(items.map((i) => i.id));
      const remote = await cluster.remoteSummaries();
      for (const v of ctx.config().views) {
        if (local.has(v.id) || !mayAccessView(p, v.id)) continue;
        const s = remote.get(v.id);
        if (s) items.push(remoteSummary(v.id, s));
      }
      items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    }
    sendOk(res, { items, total: items.length });
  });

  r.get('/views/:view/tree', async (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(treeQuerySchema, req.query);
    let job: { id: string | null; status: string; error?: string | null } | undefined;
    if (q.force_real_time) {
      const abort = new AbortController();
      const onClose = () => abort.abort();
      res.once('close', onClose);
      try {
        job = await onDemandScan(ctx, engine.id, q.path, q.timeout_ms, abort.signal);
      } finally {
        res.off('close', onClose);
      }
      if (abort.signal.aborted) return;
    }
    const node = engine.tree(q.path, {
      depth: q.depth,
      page: q.page,
      page_size: q.page_size,
      sort_by: q.sort_by,
      sort_order: q.sort_order,
      only_path: q.only_path,
    });
    if (!node) throw new NotFoundError(`path '${q.path}' not found in view '${engine.id}'`);
    const partial = !engine.freshness().snapshot_complete;
    sendOk(res, job ? { node, job, partial } : { node, partial });
  });

  r.get('/views/:view/stats', (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(statsQuerySchema, req.query);
    const stats = engine.stats(q.path);
    if (!stats) throw new NotFoundError(`path '${q.path}' not found in view '${engine.id}'`);
    sendOk(res, { ...stats, can_realtime: ctx.sessions.canRealtime(engine.id) });
  });

  r.get('/views/:view/search', async (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(searchQuerySchema, req.query);
    if (!engine.search) throw new NotFoundError('search is not available in this build');
    const page = await engine.search(q);
    sendOk(res, { ...page, partial: !engine.freshness().snapshot_complete });
  });

  r.get('/views/:view/suspects', (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(suspectsQuerySchema, req.query);
    sendOk(res, engine.suspects(q.page, q.page_size, q.path));
  });

  r.get('/views/:view/blind-spots', (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(blindSpotsQuerySchema, req.query);
    sendOk(res, engine.blindSpots(q.kind, q.page, q.page_size));
  });

  r.get('/views/:view/sessions', (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(pageQuerySchema, req.query);
    const all = ctx.sessions.sessionsOf(engine.id).map((s) => SessionManager.info(s));
    const start = (q.page - 1) * q.page_size;
    sendOk(res, pageOf(all.slice(start, start + q.page_size), all.length, q.page, q.page_size));
  });

  return r;
}

/**
 * Sends a scan command to the view's leader and waits for its done (or the timeout). A query for a path
 * whose scan is still pending on the same leader joins that job instead of queueing a second walk.
 */
async function onDemandScan(
  ctx: RouteContext,
  view: string,
  path: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ id: string | null; status: string; error?: string | null }> {
  const leader = ctx.sessions.leaderOf(view);
  if (!leader) return { id: null, status: 'failed', error: 'the view has no leader session to scan with' };
  const sessionId = leader.rec.session_id;
  let id = ctx.jobs.pendingScan(view, sessionId, path)?.id;
  if (!id) {
    const cmd: ScanCommand = { id: `cmd_${randomBytes(9).toString('base64url')}`, type: 'scan', path, recursive: true };
    ctx.jobs.add(cmd, sessionId, view);
    ctx.sessions.enqueue(sessionId, cmd);
    id = cmd.id;
  }
  const job = await ctx.jobs.wait(id, timeoutMs, signal);
  return { id, status: job?.status ?? 'pending', error: job?.error ?? null };
}
