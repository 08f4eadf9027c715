// Generates the OpenAPI 3.1 document from the route catalog and the protocol's zod schemas (z.toJSONSchema):
// query and body schemas on their input side, answers on their output side, shared shapes as components.

import { z } from 'zod';
import {
  changeEntrySchema,
  commandSchema,
  deliverySchema,
  errorEnvelopeSchema,
  histogramBinSchema,
  okEnvelopeSchema,
  PROTOCOL_VERSION,
  sessionInfoSchema,
  subscriptionSchema,
  topItemSchema,
  treeNodeSchema,
  usageItemSchema,
  viewStatsSchema,
  viewSummarySchema,
} from '@fustor/protocol';
import { ROUTE_CATALOG } from './catalog.js';
import type { RouteDoc } from './route-doc.js';

type Json = Record<string, unknown>;

/** Shapes several answers share: emitted once under components.schemas and referenced. */
const SHARED: Array<[z.ZodType, string]> = [
  [treeNodeSchema, 'TreeNode'],
  [viewStatsSchema, 'ViewStats'],
  [viewSummarySchema, 'ViewSummary'],
  [sessionInfoSchema, 'SessionInfo'],
  [changeEntrySchema, 'ChangeEntry'],
  [subscriptionSchema, 'Subscription'],
  [deliverySchema, 'Delivery'],
  [usageItemSchema, 'UsageItem'],
  [topItemSchema, 'TopItem'],
  [histogramBinSchema, 'HistogramBin'],
  [commandSchema, 'Command'],
  [errorEnvelopeSchema, 'ErrorEnvelope'],
];

const STATUS_TEXT: Record<number, string> = {
  400: 'A parameter or the body is invalid (40001 names the field)',
  401: 'No key, or an unknown or revoked key (40101)',
  403: "The key's role or views do not cover this route or view (40301), or a follower called a leader-only route (40302)",
  404: 'Unknown view, path, session (40402: open a new one), key, subscription or command (40401)',
  409: 'Conflict (40901): see the message and details',
  413: 'Body larger than server.max_body_mb (41301)',
  415: 'The body is not application/json',
  429: 'Rate limit of the key reached: wait Retry-After seconds (42901)',
  503: 'Storage opening or shutting down (50301)',
};
const KEYED_ERRORS = [400, 401, 403, 404, 429, 503];

const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
export const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');

/** Converts every schema of `entries` in one pass so shared shapes become $refs; drops the per-schema $schema/$id. */
function convert(entries: Array<[z.ZodType, string]>, io: 'input' | 'output'): Record<string, Json> {
  const reg = z.registry<{ id: string }>();
  for (const [schema, id] of entries) if (!reg.has(schema)) reg.add(schema, { id });
  const out = z.toJSONSchema(reg, { io, uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' }).schemas;
  const clean: Record<string, Json> = {};
  for (const [id, s] of Object.entries(out)) {
    const { $schema: _s, $id: _i, ...rest } = s as Json;
    clean[id] = rest;
  }
  return clean;
}

function parameters(r: RouteDoc): Json[] {
  const out: Json[] = [];
  for (const m of r.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    out.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' }, description: PATH_PARAMS[m[1]!] ?? m[1] });
  }
  if (r.query) {
    const js = z.toJSONSchema(r.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(js.properties ?? {})) {
      const { description, ...rest } = schema;
      out.push({ name, in: 'query', required: js.required?.includes(name) ?? false, schema: rest, ...(description ? { description } : {}) });
    }
  }
  if (r.sse) out.push({ name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string', pattern: '^[0-9]{1,15}$' }, description: 'SSE resume: the id of the last event received' });
  return out;
}

const PATH_PARAMS: Record<string, string> = {
  view: 'view id',
  sid: 'session id from POST /api/v1/pipe/sessions',
  cid: 'command id',
  id: 'key or subscription id',
};

function operation(r: RouteDoc): Json {
  const op: Json = { operationId: r.op, tags: [r.tag], summary: r.summary };
  if (r.description || r.sse) op.description = [r.description, r.sse].filter(Boolean).join('\n\n');
  if (r.role === 'none') op.security = [];
  else {
    op.security = [{ ApiKey: [] }, { Bearer: [] }];
    op['x-fustor-role'] = r.role;
  }
  const params = parameters(r);
  if (params.length > 0) op.parameters = params;
  if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: ref(`${upper(r.op)}Body`) } } };
  const responses: Json = {};
  if (r.answer.kind === 'envelope') {
    const content: Json = { 'application/json': { schema: ref(`${upper(r.op)}Answer`) } };
    if (r.sse) content['text/event-stream'] = { schema: { type: 'string' } };
    responses[String(r.answer.status ?? 200)] = { description: r.answer.status === 201 ? 'Created' : 'Success', content };
  } else {
    responses['200'] = { description: r.answer.description, content: { [r.answer.contentType]: { schema: r.answer.contentType === 'application/json' ? { type: 'object' } : { type: 'string' } } } };
  }
  const errors = new Set([...(r.role === 'none' ? [] : KEYED_ERRORS), ...(r.errors ?? [])]);
  for (const s of [...errors].sort()) responses[String(s)] = { description: STATUS_TEXT[s] ?? 'Error', content: { 'application/json': { schema: ref('ErrorEnvelope') } } };
  responses.default = { description: 'Unexpected error (50001; details in the Fusion log)', content: { 'application/json': { schema: ref('ErrorEnvelope') } } };
  op.responses = responses;
  return op;
}

function build(): Json {
  const outputs: Array<[z.ZodType, string]> = [...SHARED];
  const inputs: Array<[z.ZodType, string]> = [];
  for (const r of ROUTE_CATALOG) {
    if (r.answer.kind === 'envelope') outputs.push([okEnvelopeSchema(r.answer.data), `${upper(r.op)}Answer`]);
    if (r.body) inputs.push([r.body, `${upper(r.op)}Body`]);
  }
  const paths: Record<string, Json> = {};
  for (const r of ROUTE_CATALOG) (paths[openApiPath(r.path)] ??= {})[r.method] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Fustor Fusion API',
      version: PROTOCOL_VERSION,
      description: 'Ingest and query API of Fusion (protocol.md, consumers.md). Every JSON answer is an envelope `{ code, message, data }` (code 0) or `{ code, message, details }` on error.',
    },
    tags: [...new Set(ROUTE_CATALOG.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...convert(outputs, 'output'), ...convert(inputs, 'input') },
      securitySchemes: {
        ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        Bearer: { type: 'http', scheme: 'bearer' },
      },
    },
  };
}

let cached: Json | null = null;

/** The document (built once per process: the catalog and schemas are static). */
export function openApiDocument(): Json {
  cached ??= build();
  return cached;
}
