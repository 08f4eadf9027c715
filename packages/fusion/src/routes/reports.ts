// Report routes (role read, consumers.md §2): usage by owner or group, top files or directories, size and age histograms.

import { Router } from 'express';
import { histogramQuerySchema, parseOrThrow, topQuerySchema, usageQuerySchema } from '@fustor/protocol';
import { sendOk } from '../server/envelope.js';
import type { RouteContext } from './context.js';
import { readView } from './queries.js';

/**
 * Each report scans the subtree in slices (the event loop keeps serving ingest in between), so the
 * handlers are async. `partial` is read after the scan: true while the view has no complete snapshot.
 */
export function reportRoutes(ctx: RouteContext): Router {
  const r = Router();

  r.get('/views/:view/usage', async (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(usageQuerySchema, req.query);
    const page = await engine.usage(q);
    sendOk(res, { ...page, path: q.path, by: q.by, partial: !engine.freshness().snapshot_complete });
  });

  r.get('/views/:view/top', async (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(topQuerySchema, req.query);
    const items = await engine.top(q);
    sendOk(res, { path: q.path, by: q.by, order: q.order, type: q.type, limit: q.limit, items, partial: !engine.freshness().snapshot_complete });
  });

  r.get('/views/:view/histogram', async (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(histogramQuerySchema, req.query);
    const h = await engine.histogram(q);
    sendOk(res, { ...h, partial: !engine.freshness().snapshot_complete });
  });

  return r;
}
