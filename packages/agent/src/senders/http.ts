// HTTP transport over node:http(s) with keep-alive: JSON envelope in and out, errors mapped to FusionError / TransportError.
//
// node:http rather than undici: undici's import and its llhttp WebAssembly compile cost ~0.2–0.3 s
// of agent start (on the path to the first snapshot batch); node:http is built in, uses the native
// parser, and honours the server's Keep-Alive timeout hint when reusing idle sockets.

import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
}

export function createHttpTransport(opts: HttpOptions): HttpTransport {
  const base = opts.endpoint.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  // noDelay: headers and body leave as two writes; with Nagle on, the body of a small realtime
  // batch would wait for the server's delayed ACK (up to 40 ms on Linux) — undici disables it too.
  const agentOpts = { keepAlive: true, maxSockets: 8, noDelay: true };
  const agent = secure ? new HttpsAgent(agentOpts) : new HttpAgent(agentOpts);
  const send = secure ? httpsRequest : httpRequest;

  /** One exchange; rejects with the raw error (abort, socket, timeout). */
  const exchange = (url: string, req: HttpRequest): Promise<Answer> => {
    const timeout = req.timeoutMs ?? opts.timeoutMs;
    const body = req.json !== undefined
      ? (typeof req.json === 'string' ? Buffer.from(req.json, 'utf8') : req.json)
      : req.body !== undefined ? Buffer.from(JSON.stringify(req.body), 'utf8') : undefined;
    const headers: Record<string, string | number> = {
      'x-api-key': opts.credential,
      'user-agent': opts.userAgent ?? 'fustor-agent',
      accept: 'application/json',
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = body.length;
    }
    const ro: RequestOptions = { method: req.method, agent, headers, timeout };
    if (req.signal) ro.signal = req.signal;
    return new Promise<Answer>((resolve, reject) => {
      let cr: ClientRequest;
      try {
        cr = send(url, ro, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.once('error', reject);
          res.once('aborted', () => reject(new Error('the answer was cut off')));
          res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(parts).toString('utf8') }));
        });
      } catch (err) {
        reject(err);
        return;
      }
      // Idle socket time, as undici's headers/body timeouts: no byte for `timeout` ms ends the exchange.
      cr.once('timeout', () => cr.destroy(new Error(`no answer within ${timeout} ms`)));
      cr.once('error', reject);
      cr.end(body);
    });
  };

  const call: HttpCall = async (req: HttpRequest) => {
    const url = `${base}${req.path}`;
    let ans: Answer;
    try {
      ans = await exchange(url, req);
    } catch (err) {
      if (req.signal?.aborted) throw abortError(req.signal, err);
      throw new TransportError(url, err);
    }
    const { status, text } = ans;
    let env: { code?: number; message?: string; data?: unknown; details?: Record<string, unknown> } | undefined;
    try {
      env = text ? JSON.parse(text) : undefined;
    } catch {
      env = undefined;
    }
    if (status >= 200 && status < 300 && (env?.code ?? 0) === 0) return env?.data;
    const retryAfter = parseRetryAfter(ans.headers['retry-after']);
    throw new FusionError(
      status,
      typeof env?.code === 'number' ? env.code : status * 100 + 1,
      env?.message ?? (text.slice(0, 200) || `HTTP ${status}`),
      env?.details,
      retryAfter,
    );
  };
  return {
    call,
    close: async () => {
      agent.destroy();
    },
  };
}

/** The error an aborted exchange rejects with: always named AbortError (see isAbort). */
function abortError(signal: AbortSignal, err: unknown): Error {
  if (err instanceof Error && err.name === 'AbortError') return err;
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return Object.assign(new Error('the request was aborted', { cause: err }), { name: 'AbortError' });
}
