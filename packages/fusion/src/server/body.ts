// Reads JSON request bodies: size limit (413 41301 before parsing), bounded nesting depth, bad JSON → 40001.

import type { NextFunction, Request, Response } from 'express';
import { LISTINGS_CONTENT_TYPE } from '@fustor/protocol';
import { PayloadTooLargeError, ValidationError } from '../errors.js';

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

export function jsonBody(getLimitMb: () => number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const m = req.method;
    if (m === 'GET' || m === 'HEAD' || m === 'OPTIONS') return next();
    const limitMb = getLimitMb();
    const limit = Math.floor(limitMb * 1024 * 1024);
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) {
      res.setHeader('Connection', 'close');
      return next(new PayloadTooLargeError(limitMb));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        req.off('data', onData);
        res.setHeader('Connection', 'close');
        req.resume();
        next(new PayloadTooLargeError(limitMb));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', (err) => {
      if (failed) return;
      failed = true;
      next(err);
    });
    req.once('end', () => {
      if (failed) return;
      if (size === 0) {
        req.body = undefined;
        return next();
      }
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      // A compact scan batch (MessagePack) stays bytes: the events route decodes and validates it.
      if (req.headers['content-type'] === LISTINGS_CONTENT_TYPE) {
        req.body = buf;
        return next();
      }
      let value: unknown;
      try {
        value = JSON.parse(buf.toString('utf8'));
      } catch (err) {
        return next(new ValidationError('', `body is not valid JSON: ${(err as Error).message}`));
      }
      if (value !== null && typeof value === 'object' && jsonDepthExceeds(value, MAX_JSON_DEPTH)) {
        return next(new ValidationError('', `JSON nesting deeper than ${MAX_JSON_DEPTH} levels`));
      }
      req.body = value;
      next();
    });
  };
}
