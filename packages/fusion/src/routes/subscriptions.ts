// Subscriptions (consumers.md §5): admin creates, deletes and tests; readers of the view list them and their deliveries.

import { Router } from 'express';
import { createSubscriptionSchema, pageQuerySchema, parseOrThrow } from '@fustor/protocol';
import { sendOk } from '../server/envelope.js';
import { param, takesBody, type RouteContext } from './context.js';
import { readView } from './queries.js';

export function subscriptionRoutes(ctx: RouteContext): Router {
  const r = Router();
  const base = '/views/:view/subscriptions';

  r.post(base, takesBody(ctx, 'admin'), async (req, res) => {
    const engine = readView(ctx, req, 'admin');
    const body = parseOrThrow(createSubscriptionSchema, req.body ?? {});
    sendOk(res, await ctx.subscriptions.create(engine, body), 201);
  });

  r.get(base, async (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(pageQuerySchema, req.query);
    sendOk(res, await ctx.subscriptions.list(engine.id, q.page, q.page_size));
  });

  r.get(`${base}/:id`, async (req, res) => {
    const engine = readView(ctx, req);
    sendOk(res, await ctx.subscriptions.get(engine.id, param(req, 'id')));
  });

  r.delete(`${base}/:id`, async (req, res) => {
    const engine = readView(ctx, req, 'admin');
    await ctx.subscriptions.delete(engine.id, param(req, 'id'));
    sendOk(res, { deleted: true });
  });

  r.get(`${base}/:id/deliveries`, async (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(pageQuerySchema, req.query);
    sendOk(res, await ctx.subscriptions.deliveries(engine.id, param(req, 'id'), q.page, q.page_size));
  });

  r.post(`${base}/:id/test`, async (req, res) => {
    const engine = readView(ctx, req, 'admin');
    sendOk(res, await ctx.subscriptions.test(engine.id, param(req, 'id')));
  });

  return r;
}
