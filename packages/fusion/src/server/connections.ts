// Connection hygiene: explicit header/request/keep-alive timeouts, a close for sockets that never send
// a request, a connection cap, and envelope answers for requests Node rejects before any route runs.

import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_CODES, type Envelope, type Logger } from '@fustor/protocol';
import { FIX_TEXTS } from '../errors.js';
import type { Metrics } from './metrics.js';

export interface ConnectionLimits {
  /** Complete request headers must arrive this soon after connecting or after the previous answer (also closes sockets that send nothing). */
  headersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this; answering may take longer (long polls, streams). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are closed as they arrive. */
  maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 120_000,
  // longer than the agent's client keep-alive (30 s), so the client closes first
  keepAliveTimeoutMs: 65_000,
  maxConnections: 10_000,
});

/** Node's own timeout checks run at this period (its default of 30 s would stretch every timeout). */
export function checkingIntervalMs(l: ConnectionLimits): number {
  return Math.max(10, Math.min(1000, Math.floor(Math.min(l.headersTimeoutMs, l.requestTimeoutMs) / 4)));
}

function rawAnswer(status: number, reason: string, code: number, message: string): { code: number; text: string } {
  const body: Envelope = { code, message };
  const json = JSON.stringify(body);
  return { code, text: `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}` };
}

/** What Node's parser errors mean for the client, as envelopes (Node's own answers are bare). */
function answerFor(code: string | undefined, l: ConnectionLimits): { code: number; text: string } {
  if (code === 'HPE_HEADER_OVERFLOW') {
    const c = ERROR_CODES.HEADERS_TOO_LARGE;
    return rawAnswer(c.http, 'Request Header Fields Too Large', c.code, `request headers are over the server limit (16 KB). ${FIX_TEXTS[c.code]}`);
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const c = ERROR_CODES.REQUEST_TIMEOUT;
    return rawAnswer(c.http, 'Request Timeout', c.code, `request not received in time (headers within ${l.headersTimeoutMs} ms, whole request within ${l.requestTimeoutMs} ms)`);
  }
  const c = ERROR_CODES.VALIDATION;
  return rawAnswer(c.http, 'Bad Request', c.code, `malformed HTTP request (${code ?? 'parse error'})`);
}

/** Applies `limits` to `http` (call before listen). */
export function guardConnections(http: Server, limits: ConnectionLimits, log: Logger, metrics: Metrics): void {
  http.headersTimeout = limits.headersTimeoutMs;
  http.requestTimeout = limits.requestTimeoutMs;
  http.keepAliveTimeout = limits.keepAliveTimeoutMs;
  http.maxConnections = limits.maxConnections;
  // Node's headersTimeout only starts with the first byte: a socket that never sends one is closed
  // by this inactivity timeout (Node destroys a timed-out socket nobody claims).
  http.on('connection', (socket: Socket) => socket.setTimeout(limits.headersTimeoutMs));
  // Answering may take long (a 60 s long poll, an event stream): no inactivity timeout while a
  // request is being served; after the answer Node arms keepAliveTimeout.
  http.on('request', (req) => req.socket.setTimeout(0));
  let lastDropLogMs = 0;
  http.on('drop', () => {
    const now = Date.now();
    if (now - lastDropLogMs < 10_000) return;
    lastDropLogMs = now;
    log.warn('connections refused: the connection cap is reached', { max_connections: limits.maxConnections });
  });
  http.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer = answerFor(err.code, limits);
    metrics.countError(answer.code);
    socket.end(answer.text);
    // the client may still be sending; it gets a moment to read the answer before the socket goes
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}
