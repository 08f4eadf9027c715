// The shape of one catalog entry: everything the OpenAPI document says about a route, pointing at the zod schemas the route validates with.

import type { z } from 'zod';

/** Who may call: `none` needs no key; admin keys pass every role check. */
export type RouteRole = 'none' | 'ingest' | 'read' | 'admin';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete';

/** What a successful answer carries. */
export type RouteAnswer =
  /** The `{ code: 0, message, data }` envelope with `data` of this schema. */
  | { kind: 'envelope'; data: z.ZodType; status?: 200 | 201 }
  /** A plain document (text, HTML or JSON that is not an envelope). */
  | { kind: 'document'; contentType: string; description: string };

export interface RouteDoc {
  /** operationId. */
  op: string;
  method: HttpMethod;
  /** Express-style full path, e.g. `/api/v1/views/:view/tree`. */
  path: string;
  role: RouteRole;
  /** Groups routes in the document (and names the metrics' route group). */
  tag: string;
  summary: string;
  description?: string;
  /** Query-string schema the route parses (input side: strings before coercion). */
  query?: z.ZodType;
  /** JSON body schema the route parses. */
  body?: z.ZodType;
  answer: RouteAnswer;
  /** Error statuses beyond those every route of its role may answer. */
  errors?: number[];
  /** The route also streams Server-Sent Events when asked with `Accept: text/event-stream`. */
  sse?: string;
}


/** A 200 envelope answer with `data` of this schema. */
export const ok = (data: z.ZodType): RouteAnswer => ({ kind: 'envelope', data });
/** A 201 envelope answer (something was created). */
export const created = (data: z.ZodType): RouteAnswer => ({ kind: 'envelope', data, status: 201 });
