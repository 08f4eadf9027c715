// Mounts every API route group under /api/v1.

import { Router } from 'express';
import type { RouteContext } from './context.js';
import { adminRoutes } from './admin.js';
import { eventRoutes } from './events.js';
import { phaseRoutes } from './phases.js';
import { principalRoutes } from './principals.js';
import { changeRoutes } from './changes.js';
import { subscriptionRoutes } from './subscriptions.js';
import { clusterRoutes } from './cluster.js';
import { queryRoutes } from './queries.js';
import { reportRoutes } from './reports.js';
import { sessionRoutes } from './sessions.js';

export * from './context.js';
export { healthRoutes, type HealthSource } from './health.js';
export { docRoutes, WEB_DIR } from './docs.js';

export function apiRoutes(ctx: RouteContext): Router {
  const r = Router();
  r.use(eventRoutes(ctx));
  r.use(sessionRoutes(ctx));
  r.use(phaseRoutes(ctx));
  r.use(principalRoutes(ctx));
  r.use(queryRoutes(ctx));
  r.use(reportRoutes(ctx));
  r.use(changeRoutes(ctx));
  r.use(subscriptionRoutes(ctx));
  r.use(clusterRoutes(ctx));
  r.use(adminRoutes(ctx));
  return r;
}
