// The route catalog: every route Fusion registers, described once; the OpenAPI document and the route test read it.

import { API_BASE, healthAnswerSchema } from '@fustor/protocol';
import { ADMIN_ROUTES } from './catalog-admin.js';
import { INGEST_ROUTES } from './catalog-ingest.js';
import { READ_ROUTES } from './catalog-read.js';
import { ok, type RouteDoc } from './route-doc.js';

export const OPENAPI_PATH = `${API_BASE}/openapi.json`;

const PROBE_ROUTES: RouteDoc[] = [
  { op: 'healthz', method: 'get', path: '/healthz', role: 'none', tag: 'probes', summary: 'Liveness: the process answers', answer: ok(healthAnswerSchema) },
  {
    op: 'readyz', method: 'get', path: '/readyz', role: 'none', tag: 'probes',
    summary: 'Readiness: storage open, views loaded, not shutting down (else 503)', answer: ok(healthAnswerSchema), errors: [503],
  },
  {
    op: 'metrics', method: 'get', path: '/metrics', role: 'none', tag: 'probes', summary: 'Prometheus metrics (text exposition format 0.0.4)',
    answer: { kind: 'document', contentType: 'text/plain; version=0.0.4', description: 'Prometheus text format' },
  },
  {
    op: 'openapi', method: 'get', path: OPENAPI_PATH, role: 'none', tag: 'probes', summary: 'This document (OpenAPI 3.1)',
    answer: { kind: 'document', contentType: 'application/json', description: 'the OpenAPI 3.1 document' },
  },
  {
    op: 'page', method: 'get', path: '/', role: 'none', tag: 'page',
    summary: 'The Fusion web page (views, directory browser, reports, live changes); its files are under /ui/',
    description: 'The page asks for a read key once and keeps it in the browser session; every API call it makes sends the key in X-API-Key.',
    answer: { kind: 'document', contentType: 'text/html', description: 'the page' },
  },
];

export const ROUTE_CATALOG: readonly RouteDoc[] = Object.freeze([...PROBE_ROUTES, ...INGEST_ROUTES, ...READ_ROUTES, ...ADMIN_ROUTES]);
