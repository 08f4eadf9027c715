// What route handlers share: the store, sessions, keys, jobs, metrics and the live config.

import type { NextFunction, Request, Response } from 'express';
import type { KeyRole, Logger } from '@fustor/protocol';
import { requireRole } from '../auth/access.js';
import type { KeyRegistry, Principal } from '../auth/key-registry.js';
import type { RateLimiter } from '../auth/rate-limiter.js';
import type { FusionConfig } from '../config/types.js';
import type { JobTracker } from '../sessions/jobs.js';
import type { SessionManager } from '../sessions/session-manager.js';
import type { Metrics } from '../server/metrics.js';
import type { ViewEngine, ViewStore } from '../contract.js';
import { NotReadyError, UnauthenticatedError } from '../errors.js';
import type { FeedHub } from '../feed/feed-hub.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import { readJsonBody } from '../server/body.js';
import type { SubscriptionService } from '../subscriptions/subscription-service.js';

/** Settings changeable at run time through PUT /api/v1/admin/config (persisted in the store). */
export interface RuntimeSettings {
  /** 0 = no limit. */
  rate_limit_per_key_per_minute: number;
  log_level: 'debug' | 'info' | 'warn' | 'error';
}

export const RUNTIME_SETTINGS_KEY = 'runtime_settings';

export interface RouteContext {
  readonly store: ViewStore;
  readonly sessions: SessionManager;
  readonly keys: KeyRegistry;
  readonly rateLimiter: RateLimiter;
  readonly jobs: JobTracker;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** SSE fan-out of the change feed. */
  readonly feed: FeedHub;
  /** Webhook subscriptions (consumers.md §5). */
  readonly subscriptions: SubscriptionService;
  /** This node in a PostgreSQL cluster (null: single node on SQLite). */
  cluster(): ClusterNode | null;
  /** feed.max_lag of fusion-config.yaml. */
  feedMaxLag(): number;
  config(): FusionConfig;
  runtime(): RuntimeSettings;
  setRuntime(next: RuntimeSettings): void;
}

function presentedKey(req: Request): string | null {
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x !== '') return x;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
  return null;
}

/** Principals already established for a request (the body middleware authenticates before the handler). */
const principals = new WeakMap<Request, Principal>();

/** Authenticates the request (401) and counts it against the key's rate limit (429), once per request. */
export function authenticate(ctx: RouteContext, req: Request): Principal {
  const known = principals.get(req);
  if (known) return known;
  const key = presentedKey(req);
  if (!key) throw new UnauthenticatedError('no API key: send X-API-Key or Authorization: Bearer');
  const p = ctx.keys.authenticate(key);
  if (!p) throw new UnauthenticatedError('unknown or revoked API key');
  ctx.rateLimiter.hit(p.id);
  principals.set(req, p);
  return p;
}

/**
 * Middleware of every route that takes a JSON body (or, with `rawType`, the bytes of that media type): the key and its role are checked first (401,
 * 429, 403), and only then is the body read into `req.body` (415, 413, 40001). A route without it
 * never reads a body: Node discards whatever was sent.
 */
export function takesBody(ctx: RouteContext, role: KeyRole, rawType?: string) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    requireRole(authenticate(ctx, req), role);
    req.body = await readJsonBody(req, ctx.config().server.max_body_mb, rawType);
    next();
  };
}

/**
 * Waits until the engine's changes are durable before a route answers 200 (immediate on SQLite). A failed
 * write (PostgreSQL gone, ownership lost) answers 503: the client retries, and nothing unacknowledged is kept.
 */
export async function durable(engine: ViewEngine): Promise<void> {
  try {
    await engine.durable();
  } catch (err) {
    throw new NotReadyError(`view '${engine.id}' could not be stored (${(err as Error).message}); retry shortly`);
  }
}

export function clientIp(req: Request): string | null {
  return req.socket.remoteAddress ?? null;
}

/** Express 5 types params as string | string[]; route params here are always single strings. */
export function param(req: Request, name: string): string {
  const v = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v.join('/') : (v ?? '');
}
