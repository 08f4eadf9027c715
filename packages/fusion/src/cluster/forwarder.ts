// Forwards one request to the node that owns its view and streams the answer back (long polls and SSE included).

import type { Request, Response } from 'express';
import { bodyWasRead } from '../server/body.js';
import { Agent, request } from 'undici';
import { pipeline } from 'node:stream/promises';

/** Set on forwarded requests: a node that receives one and does not serve the view answers 503, never forwards again. */
export const FORWARDED_HEADER = 'x-fustor-forwarded-by';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

/**
 * One connection pool per process. No timeouts of its own on the answer: a long poll may wait 60 s and a
 * change-feed stream lasts as long as its client; the client closing ends the forwarded request.
 */
const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 10_000, connections: 64 });

export async function forward(req: Request, res: Response, ownerUrl: string, self: string): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  headers[FORWARDED_HEADER] = self;
  // A body read here (a session create) is sent as JSON again; any other body was not read (this node
  // authenticates nothing it forwards): it is streamed through to the owner, which checks the key first.
  let body: string | Request | undefined;
  if (bodyWasRead(req)) {
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
  } else if (req.method !== 'GET' && req.method !== 'HEAD' && ((req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined)) {
    body = req;
    if (req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
  }
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  let upstream: Awaited<ReturnType<typeof request>>;
  try {
    upstream = await request(new URL(req.originalUrl, ownerUrl), {
      method: req.method as 'GET',
      headers,
      body,
      dispatcher,
      signal: abort.signal,
    });
  } catch (err) {
    // The client went away first (a long poll or stream it gave up on): nothing to answer.
    if (abort.signal.aborted) return;
    throw err;
  }
  res.statusCode = upstream.statusCode;
  for (const [k, v] of Object.entries(upstream.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    res.setHeader(k, v);
  }
  res.setHeader('x-fustor-served-by', String(upstream.headers['x-fustor-served-by'] ?? ownerUrl));
  if (req.method === 'HEAD') {
    await upstream.body.dump();
    res.end();
    return;
  }
  await pipeline(upstream.body, res).catch(() => undefined);
}
