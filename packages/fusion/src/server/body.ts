// Reads JSON request bodies: size limit (413 41301 before parsing), bounded nesting depth, bad JSON → 40001.

import type { NextFunction, Request, Response } from 'express';
import { PayloadTooLargeError, ValidationError } from '../errors.js';

/** Deepest object/array nesting accepted; wire messages need 4, heartbeat stats a few more. */
export const MAX_JSON_DEPTH = 32;

/** Scans raw JSON for the nesting depth, skipping strings; cheaper than a reviver over the parsed value. */
export function jsonDepthExceeds(buf: Buffer, max: number): boolean {
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inStr) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inStr = false;
    } else if (c === 0x22) inStr = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
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
      if (jsonDepthExceeds(buf, MAX_JSON_DEPTH)) return next(new ValidationError('', `JSON nesting deeper than ${MAX_JSON_DEPTH} levels`));
      try {
        req.body = JSON.parse(buf.toString('utf8'));
      } catch (err) {
        return next(new ValidationError('', `body is not valid JSON: ${(err as Error).message}`));
      }
      next();
    });
  };
}
