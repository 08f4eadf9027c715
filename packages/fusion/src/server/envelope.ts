// The response envelope of protocol.md: { code, message, data } on success, { code, message, details } on error.

import type { Response } from 'express';
import type { Envelope } from '@fustor/protocol';

export function sendOk<T>(res: Response, data: T, status = 200): void {
  const body: Envelope<T> = { code: 0, message: 'success', data };
  res.status(status).type('application/json').send(JSON.stringify(body));
}

export function sendError(res: Response, status: number, code: number, message: string, details?: Record<string, unknown>): void {
  const body: Envelope = { code, message };
  if (details) body.details = details;
  res.status(status).type('application/json').send(JSON.stringify(body));
}
