// Maps every thrown error onto the envelope; unexpected ones become 500 50001 with no stack in the body (logged instead).

import type { NextFunction, Request, Response } from 'express';
import { ERROR_CODES, ProtocolValidationError, type Logger } from '@fustor/protocol';
import { ApiError, DiskFullError, FIX_TEXTS, RateLimitedError, StoreError } from '../errors.js';
import { sendError } from './envelope.js';
import { isPgUnavailable } from '../store/postgres/pg-errors.js';
import type { Metrics } from './metrics.js';
import { describeStorageError } from './storage-health.js';

export interface StorageHooks {
  dbPath(): string;
  /** A write failed because the disk is full. */
  onDiskFull(): void;
}

/** Errors from other layers (the view engine) that carry a known wire code but are not ApiError. */
function codeOf(err: unknown): { status: number; code: number } | null {
  if (err instanceof ApiError) return { status: err.status, code: err.code };
  const e = err as { code?: unknown; status?: unknown; name?: unknown };
  if (typeof e?.code === 'number') {
    for (const def of Object.values(ERROR_CODES)) if (def.code === e.code) return { status: def.http, code: def.code };
  }
  if (e?.name === 'ConflictError') return { status: 409, code: ERROR_CODES.CONFLICT.code };
  // PostgreSQL gone (cluster mode): the client retries, as with any 503.
  if (isPgUnavailable(err)) return { status: 503, code: ERROR_CODES.NOT_READY.code };
  if (e?.name === 'NotFoundError') return { status: 404, code: ERROR_CODES.NOT_FOUND.code };
  return null;
}

export function errorHandler(log: Logger, metrics: Metrics, storage?: StorageHooks) {
  // express recognizes error middleware by its four parameters
  return (raw: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) {
      res.end();
      return;
    }
    // SQLite's SQLITE_FULL / SQLITE_CORRUPT from the engine or the session store say what they are
    const err = storage ? describeStorageError(raw, storage.dbPath()) : raw;
    if (err instanceof DiskFullError) {
      storage!.onDiskFull();
      log.error('write failed: the disk is full', { method: req.method, route: req.path, storage_path: storage!.dbPath(), error: raw instanceof Error ? raw.message : String(raw) });
    } else if (err instanceof StoreError) {
      metrics.countError(ERROR_CODES.INTERNAL.code);
      log.error('the database is damaged', { method: req.method, route: req.path, error: err.message });
      return sendError(res, 500, ERROR_CODES.INTERNAL.code, err.message);
    }
    if (err instanceof ProtocolValidationError) {
      metrics.countError(ERROR_CODES.VALIDATION.code);
      return sendError(res, 400, err.code, err.message, err.field ? { field: err.field } : undefined);
    }
    const known = codeOf(err);
    if (known) {
      metrics.countError(known.code);
      if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterSec));
      const details = err instanceof ApiError ? err.details : (err as { details?: Record<string, unknown> }).details;
      const message = isPgUnavailable(err) ? 'PostgreSQL is unreachable; retry shortly' : (err as Error).message || FIX_TEXTS[known.code] || 'error';
      if (isPgUnavailable(err)) res.setHeader('Retry-After', '1');
      return sendError(res, known.status, known.code, message, details);
    }
    const bodyParserStatus = (err as { status?: number; type?: string }).status;
    if (bodyParserStatus === 413) {
      metrics.countError(41301);
      return sendError(res, 413, 41301, 'request body is over server.max_body_mb');
    }
    if (bodyParserStatus === 400) {
      metrics.countError(40001);
      return sendError(res, 400, 40001, 'malformed request');
    }
    metrics.countError(50001);
    log.error('unexpected error while handling a request', { method: req.method, route: req.path, error: err instanceof Error ? err : String(err) });
    sendError(res, 500, 50001, 'internal error; see the Fusion log');
  };
}
