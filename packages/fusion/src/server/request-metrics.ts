// Counts every answered request by route group (the catalog's tag), method and status, once the response is done.

import type { NextFunction, Request, Response } from 'express';
import { ROUTE_CATALOG } from '../openapi/catalog.js';
import type { Metrics } from './metrics.js';

interface GroupMatcher {
  re: RegExp;
  method: string | null;
  tag: string;
}

/** One regex per catalog path (params match one segment); the page's files under /ui/ count as the page. */
function matchers(): GroupMatcher[] {
  const out: GroupMatcher[] = ROUTE_CATALOG.map((r) => ({
    re: new RegExp(`^${r.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_][A-Za-z0-9_]*/g, '[^/]+')}/?$`),
    method: r.method.toUpperCase(),
    tag: r.tag,
  }));
  out.push({ re: /^\/ui\//, method: null, tag: 'page' });
  return out;
}

/** The route group of a request path: bounded label values, whatever paths clients send. */
export function routeGroupOf(method: string, path: string, table: readonly GroupMatcher[] = DEFAULT_TABLE): string {
  const want = method === 'HEAD' ? 'GET' : method;
  let anyMethod: string | null = null;
  for (const m of table) {
    if (!m.re.test(path)) continue;
    if (m.method === null || m.method === want) return m.tag;
    anyMethod ??= m.tag;
  }
  return anyMethod ?? 'unmatched';
}

const DEFAULT_TABLE = matchers();

export function countRequests(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // read now: mounted routers rewrite req.url while they run (an SSE handler still runs when its reader leaves)
    const { method, path } = req;
    // 'close' fires for every response, finished or cut, once its status is final
    res.once('close', () => metrics.countRequest(routeGroupOf(method, path), method, res.statusCode));
    next();
  };
}
