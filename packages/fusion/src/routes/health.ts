// Unauthenticated probes: /healthz (alive), /readyz (storage open and views loaded, not shutting down), /metrics.

import { Router } from 'express';
import { NotReadyError } from '../errors.js';
import { sendError, sendOk } from '../server/envelope.js';

export interface HealthSource {
  ready(): boolean;
  shuttingDown(): boolean;
  metricsText(): string | Promise<string>;
  /** A storage condition that makes Fusion unable to accept writes (a full disk), or null. */
  storageProblem?(): { code: number; message: string } | null;
}

export function healthRoutes(h: HealthSource): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => sendOk(res, { status: 'ok' }));
  r.get('/readyz', (_req, res) => {
    if (h.shuttingDown()) throw new NotReadyError('shutting down');
    if (!h.ready()) throw new NotReadyError('storage is opening; views not loaded yet');
    const problem = h.storageProblem?.();
    if (problem) return sendError(res, 503, problem.code, problem.message);
    sendOk(res, { status: 'ok' });
  });
  r.get('/metrics', async (_req, res) => {
    const text = await h.metricsText();
    res.status(200).type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
  return r;
}
