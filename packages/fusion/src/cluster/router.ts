// Any node answers any request: one about a view this node does not serve is forwarded to the view's owner.

import type { NextFunction, Request, Response } from 'express';
import { NotReadyError } from '../errors.js';
import { readJsonBody } from '../server/body.js';
import type { KeyRegistry } from '../auth/key-registry.js';
import type { SessionManager } from '../sessions/session-manager.js';
import type { PgViewStore } from '../store/postgres/pg-store.js';
import { isPgUnavailable } from '../store/postgres/pg-errors.js';
import { forward, FORWARDED_HEADER } from './forwarder.js';
import type { LeaseManager } from './lease-manager.js';

export interface ClusterRouterDeps {
  leases: LeaseManager;
  store: PgViewStore;
  sessions(): SessionManager;
  keys(): KeyRegistry;
  nodeId: string;
  configured(view: string): boolean;
  /** server.max_body_mb, for the one body this router reads (a session create's view). */
  maxBodyMb(): number;
}

const VIEW_ROUTE = /^\/(?:admin\/)?views\/([^/]+)(?:\/|$)/;
const SESSION_ROUTE = /^\/pipe\/sessions\/([^/]+)(?:\/|$)/;
/** Session id → view, for calls on sessions this node does not hold (bounded; misses ask PostgreSQL). */
const SESSION_CACHE = 10_000;

export function clusterRouter(d: ClusterRouterDeps) {
  const sessionViews = new Map<string, string>();

  async function viewOf(req: Request): Promise<string | null> {
    const path = req.path;
    const v = VIEW_ROUTE.exec(path);
    if (v) return decodeURIComponent(v[1]!);
    if (path === '/pipe/sessions' || path === '/pipe/sessions/') {
      // The key first: without a valid one the route answers 401 and nothing is read.
      const key = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^bearer /i, '');
      const p = typeof key === 'string' ? d.keys().authenticate(key) : null;
      if (p === null) return null;
      // A key bound to exactly one view may leave it out (protocol.md).
      if (p.views?.length === 1) return p.views[0]!;
      const named = ((await readJsonBody(req, d.maxBodyMb())) as { view?: unknown } | undefined)?.view;
      return typeof named === 'string' ? named : null;
    }
    const s = SESSION_ROUTE.exec(path);
    if (!s) return null;
    const sid = decodeURIComponent(s[1]!);
    try {
      return d.sessions().get(sid).rec.view;
    } catch {
      // not held here
    }
    let view = sessionViews.get(sid);
    if (view === undefined) {
      view = (await d.store.viewOfSession(sid)) ?? undefined;
      if (view !== undefined) {
        if (sessionViews.size >= SESSION_CACHE) sessionViews.clear();
        sessionViews.set(sid, view);
      }
    }
    return view ?? null;
  }

  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const view = await viewOf(req);
      if (view === null || !d.configured(view) || d.leases.serves(view)) return next();
      const retry = (why: string) => {
        res.setHeader('Retry-After', '1');
        return new NotReadyError(why);
      };
      if (req.headers[FORWARDED_HEADER]) throw retry(`view '${view}' is not served by this node any more (it is moving); retry`);
      if (d.leases.busy(view)) throw retry(`view '${view}' is being loaded or handed over on this node; retry`);
      const owner = d.leases.ownerOf(view);
      if (!owner?.owner || owner.expired || !owner.url || owner.owner === d.nodeId) {
        throw retry(`view '${view}' has no serving node right now (failing over or moving); retry in a second`);
      }
      try {
        await forward(req, res, owner.url, d.nodeId);
      } catch (err) {
        // The owner did not answer (it died; its lease has not run out yet): retry, it will fail over.
        if (res.headersSent) return void res.end();
        throw retry(`the node serving view '${view}' (${owner.owner}) did not answer (${(err as Error).message}); retry`);
      }
    } catch (err) {
      if (res.headersSent) return void res.end();
      if (isPgUnavailable(err)) {
        res.setHeader('Retry-After', '1');
        return next(new NotReadyError('PostgreSQL is unreachable; retry shortly'));
      }
      next(err);
    }
  };
}
