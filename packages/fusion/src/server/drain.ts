// After a 413 or 415 answer: the rest of the upload is read and thrown away, so a client that is still
// sending reads the answer instead of a connection reset (closing a socket with unread data sends RST).

import type { Request } from 'express';

/** Longest a rejected upload is drained before the connection is cut. */
export const DRAIN_MAX_MS = 30_000;
/** At most this many times server.max_body_mb (and at least 8 MB) is drained before the connection is cut. */
const DRAIN_FACTOR = 4;

/**
 * Discards what remains of `req`'s body. The answer goes out with keep-alive (not `Connection:
 * close`, whose immediate close would reset a client still writing); a client that sends far more
 * than the limit, or for too long, has its connection cut.
 */
export function drainAfterReject(req: Request, limitMb: number): void {
  const cap = Math.max(8 * 1024 * 1024, DRAIN_FACTOR * limitMb * 1024 * 1024);
  let seen = 0;
  const cut = () => {
    cleanup();
    req.socket.destroy();
  };
  const timer = setTimeout(cut, DRAIN_MAX_MS);
  timer.unref();
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > cap) cut();
  };
  const cleanup = () => {
    clearTimeout(timer);
    req.off('data', onData);
  };
  req.on('data', onData);
  req.once('end', cleanup);
  req.once('close', cleanup);
  req.resume();
}
