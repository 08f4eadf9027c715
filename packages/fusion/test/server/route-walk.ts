// Lists the routes an express 5 app really registered, by walking its router stack (nested routers included).

import type express from 'express';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[] | RegExp;
  slash?: boolean;
}

export interface RegisteredRoute {
  method: string;
  path: string;
}

function walk(stack: Layer[], prefix: string, out: RegisteredRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const p of paths) {
        for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') out.push({ method: m, path: joinPath(prefix, p) });
      }
    } else if (layer.handle?.stack) {
      if (layer.rawPath !== undefined && typeof layer.rawPath !== 'string') throw new Error(`router mounted on a non-string path: ${String(layer.rawPath)}`);
      walk(layer.handle.stack, layer.slash ? prefix : joinPath(prefix, layer.rawPath ?? ''), out);
    }
  }
}

function joinPath(a: string, b: string): string {
  const j = `${a}${b}`.replace(/\/{2,}/g, '/');
  return j.length > 1 && j.endsWith('/') ? j.slice(0, -1) : j || '/';
}

export function registeredRoutes(app: express.Express): RegisteredRoute[] {
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  const out: RegisteredRoute[] = [];
  walk(router.stack, '', out);
  return out;
}
