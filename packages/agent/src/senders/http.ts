// undici transport: JSON envelope in and out, errors mapped to FusionError / TransportError.

import { Agent, request } from 'undici';
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
  const call: HttpCall = async (req: HttpRequest) => {
    const url = `${base}${req.path}`;
    const timeout = req.timeoutMs ?? opts.timeoutMs;
    let res;
    try {
      res = await request(url, {
        method: req.method,
        dispatcher,
        headers: {
          'x-api-key': opts.credential,
          'user-agent': opts.userAgent ?? 'fustor-agent',
          ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: req.signal,
      });
    } catch (err) {
      if (req.signal?.aborted) throw err;
      throw new TransportError(url, err);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      if (req.signal?.aborted) throw err;
      throw new TransportError(url, err);
    }
    let env: { code?: number; message?: string; data?: unknown; details?: Record<string, unknown> } | undefined;
    try {
      env = text ? JSON.parse(text) : undefined;
    } catch {
      env = undefined;
    }
    if (res.statusCode >= 200 && res.statusCode < 300 && (env?.code ?? 0) === 0) return env?.data;
    const retryAfter = parseRetryAfter(res.headers['retry-after']);
    throw new FusionError(
      res.statusCode,
      typeof env?.code === 'number' ? env.code : res.statusCode * 100 + 1,
      env?.message ?? (text.slice(0, 200) || `HTTP ${res.statusCode}`),
      env?.details,
      retryAfter,
    );
  };
  return { call, close: () => dispatcher.close() };
}
