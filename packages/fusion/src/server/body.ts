// Reads one JSON request body, on the routes that take one and after authentication: media type (415),
// size limit (413, answered so the client can read it), strict UTF-8 and no lone surrogates (40001
// naming the field), bounded nesting depth.

import { isUtf8 } from 'node:buffer';
import type { Request } from 'express';
import { formatIssuePath, isWellFormedText, NOT_UNICODE_PROBLEM } from '@fustor/protocol';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';
import { drainAfterReject } from './drain.js';
import { surrogateEscape } from './utf8.js';

/** Deepest object/array nesting accepted; wire messages need 4, heartbeat stats a few more. */
export const MAX_JSON_DEPTH = 32;

/**
 * True when the parsed value nests deeper than `max` (top level = 1). V8's JSON.parse is iterative, so
 * the bound is checked after parsing; walking the value is several times cheaper than scanning the bytes.
 */
export function jsonDepthExceeds(v: unknown, max: number, depth = 1): boolean {
  if (depth > max) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== null && typeof x === 'object' && jsonDepthExceeds(x, max, depth + 1)) return true;
    }
  } else {
    for (const k in v as Record<string, unknown>) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== null && typeof x === 'object' && jsonDepthExceeds(x, max, depth + 1)) return true;
    }
  }
  return false;
}

/** Path of the first string (value or key) holding a lone surrogate, e.g. ['events', 3, 'path']; null when none. */
export function illFormedField(v: unknown, at: PropertyKey[] = []): PropertyKey[] | null {
  if (typeof v === 'string') return isWellFormedText(v) ? null : at;
  if (v === null || typeof v !== 'object') return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const hit = illFormedField(v[i], [...at, i]);
      if (hit) return hit;
    }
    return null;
  }
  for (const k in v as Record<string, unknown>) {
    if (!isWellFormedText(k)) return [...at, k];
    const hit = illFormedField((v as Record<string, unknown>)[k], [...at, k]);
    if (hit) return hit;
  }
  return null;
}

/** True when the request carries a body (a length, or chunked). */
function hasBody(req: Request): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

function mediaType(ct: string | undefined): string {
  if (!ct) return '';
  const semi = ct.indexOf(';');
  return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}

/** Text → value, with the failures of protocol.md: bad JSON, too deep, not Unicode text (naming the field). */
function parseBody(buf: Buffer): unknown {
  const valid = isUtf8(buf);
  // Invalid bytes become lone surrogates (one per byte), so the walk below names the field holding them.
  const text = valid ? buf.toString('utf8') : surrogateEscape(buf);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const why = valid ? '' : ' (it is not valid UTF-8 either)';
    throw new ValidationError('', `body is not valid JSON: ${(err as Error).message}${why}`);
  }
  if (value === null || typeof value !== 'object') return value;
  if (jsonDepthExceeds(value, MAX_JSON_DEPTH)) throw new ValidationError('', `JSON nesting deeper than ${MAX_JSON_DEPTH} levels`);
  // A lone surrogate needs invalid bytes or a '\uD8xx'-'\uDFxx' escape: skip the walk when neither is there.
  if (!valid || text.includes('\\ud') || text.includes('\\uD')) {
    const at = illFormedField(value);
    if (at) {
      const problem = valid ? NOT_UNICODE_PROBLEM : 'must be valid UTF-8: the body holds bytes that are not; the agent percent-encodes such names (docs/source-fs.md, "Names")';
      throw new ValidationError(formatIssuePath(at), problem);
    }
  }
  return value;
}

/** Bodies already read, per request: a second reader (the route after the cluster router) gets the same answer. */
const readBodies = new WeakMap<Request, Promise<unknown>>();

/** True when readJsonBody has consumed this request's body (so it is in `req.body`, not on the wire). */
export function bodyWasRead(req: Request): boolean {
  return readBodies.has(req);
}

/**
 * Reads and parses the body of `req` (undefined when there is none). Call it after the key has been
 * checked: until then nothing is buffered. On 413 and 415 the rest of the upload is read and thrown
 * away after the answer, so the client sees the answer instead of a connection reset. Reading twice
 * is safe: the second call answers what the first read. A body of media type `rawType` (a compact scan
 * batch on the events route) is answered as its bytes, unparsed: its route decodes and validates it.
 */
export function readJsonBody(req: Request, limitMb: number, rawType?: string): Promise<unknown> {
  let read = readBodies.get(req);
  if (read === undefined) {
    read = readOnce(req, limitMb, rawType);
    readBodies.set(req, read);
  }
  return read;
}

function readOnce(req: Request, limitMb: number, rawType: string | undefined): Promise<unknown> {
  if (!hasBody(req)) return Promise.resolve(undefined);
  const ct = req.headers['content-type'];
  const type = mediaType(ct);
  const raw = rawType !== undefined && type === rawType;
  if (type !== 'application/json' && !raw) {
    drainAfterReject(req, limitMb);
    return Promise.reject(new UnsupportedMediaTypeError(ct));
  }
  const limit = Math.floor(limitMb * 1024 * 1024);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    drainAfterReject(req, limitMb);
    return Promise.reject(new PayloadTooLargeError(limitMb));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: unknown, value?: unknown) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish(new PayloadTooLargeError(limitMb));
        drainAfterReject(req, limitMb);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', (err) => finish(err));
    req.once('end', () => {
      if (done) return;
      if (size === 0) return finish(null, undefined);
      try {
        const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        finish(null, raw ? buf : parseBody(buf));
      } catch (err) {
        finish(err);
      }
    });
  });
}
