// The response envelope of protocol.md: { code, message, data } on success, { code, message, details } on error.

import type { Response } from 'express';
import type { Envelope } from '@fustor/protocol';

/**
 * Writes the headers Express's `res.status().type().send()` would (ETag is off), without its
 * per-call type lookup and freshness checks: every ingest batch ends here. Node drops the body of
 * a HEAD response by itself.
 */
export function sendOk<T>(res: Response, data: T, status = 200): void {
  const body: Envelope<T> = { code: 0, message: 'success', data };
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

export function sendError(res: Response, status: number, code: number, message: string, details?: Record<string, unknown>): void {
  const body: Envelope = { code, message };
  if (details) body.details = details;
  res.status(status).type('application/json').send(JSON.stringify(body));
}
