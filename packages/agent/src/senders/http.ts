// undici transport: JSON envelope in and out, errors mapped to FusionError / TransportError.
//
// undici (the project's chosen agent → Fusion client) keeps sockets alive and disables Nagle, so a
// small realtime batch is not held back by the server's delayed ACK. Bodies may arrive already
// encoded (senders/encode.ts) as a string or Buffer and are sent as they are.

import { Agent, request } from './undici-slim.js';
import { FusionError, TransportError } from '../errors.js';
import type { HttpCall, HttpRequest } from './types.js';

export interface HttpOptions {
  endpoint: string;
  credential: string;
  timeoutMs: number;
  userAgent?: string;
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export interface HttpTransport {
  call: HttpCall;
  close(): Promise<void>;
}

export function createHttpTransport(opts: HttpOptions): HttpTransport {
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 8, connect: { timeout: Math.min(opts.timeoutMs, 10_000) } });
  const base = opts.endpoint.replace(/\/+$/, '');
  // undici's request takes an origin and a path; the endpoint may carry a path prefix of its own.
  const { origin, pathname } = new URL(base);
  const prefix = pathname.replace(/\/+$/, '');
  const call: HttpCall = async (req: HttpRequest) => {
    const url = `${base}${req.path}`;
    const timeout = req.timeoutMs ?? opts.timeoutMs;
    const body = req.json !== undefined ? req.json : req.body !== undefined ? JSON.stringify(req.body) : undefined;
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const res = await request(dispatcher, {
        origin,
        path: `${prefix}${req.path}`,
        method: req.method,
        headers: {
          'x-api-key': opts.credential,
          'user-agent': opts.userAgent ?? 'fustor-agent',
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': req.contentType ?? 'application/json' } : {}),
        },
        body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: req.signal,
      });
      status = res.statusCode;
      headers = res.headers;
      text = await res.body.text();
    } catch (err) {
      if (req.signal?.aborted) throw abortError(req.signal, err);
      throw new TransportError(url, err);
    }
    let env: { code?: number; message?: string; data?: unknown; details?: Record<string, unknown> } | undefined;
    try {
      env = text ? JSON.parse(text) : undefined;
    } catch {
      env = undefined;
    }
    if (status >= 200 && status < 300 && (env?.code ?? 0) === 0) return env?.data;
    const retryAfter = parseRetryAfter(headers['retry-after']);
    throw new FusionError(
      status,
      typeof env?.code === 'number' ? env.code : status * 100 + 1,
      env?.message ?? (text.slice(0, 200) || `HTTP ${status}`),
      env?.details,
      retryAfter,
    );
  };
  return { call, close: () => dispatcher.close() };
}

/** The error an aborted exchange rejects with: always named AbortError (see isAbort). */
function abortError(signal: AbortSignal, err: unknown): Error {
  if (err instanceof Error && err.name === 'AbortError') return err;
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return Object.assign(new Error('the request was aborted', { cause: err }), { name: 'AbortError' });
}
