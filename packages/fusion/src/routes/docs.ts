// Unauthenticated documents: the OpenAPI document and the web page (index at /, its scripts and styles under /ui/).

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Response } from 'express';
import { OPENAPI_PATH } from '../openapi/catalog.js';
import { openApiDocument } from '../openapi/document.js';

/** packages/fusion/web, from src/routes (tests) and dist/routes (built) alike: no copy step. */
export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/**
 * The page keeps a read key in session storage, so no script may come from elsewhere (CSP), the page
 * may not be framed, and no Referer leaves it.
 */
function pageHeaders(res: Response): void {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-cache');
}

export function docRoutes(): Router {
  const r = Router();
  r.get(OPENAPI_PATH, (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.json(openApiDocument());
  });
  r.get('/', (_req, res) => {
    pageHeaders(res);
    res.sendFile('index.html', { root: WEB_DIR });
  });
  r.use('/ui', express.static(join(WEB_DIR, 'ui'), { index: false, setHeaders: pageHeaders }));
  return r;
}
