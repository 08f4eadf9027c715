// Several Fusion endpoints (cluster nodes, cluster.md): a call that cannot reach one, or finds it not ready, moves to the next.

import { FusionError, TransportError } from '../errors.js';
import type { HttpCall } from './types.js';

/** What says "try another node": no connection at all, or 503 (the node is starting, stopping, or its view is moving). */
export function isNodeUnavailable(err: unknown): boolean {
  return err instanceof TransportError || (err instanceof FusionError && err.status === 503);
}

/**
 * Wraps one HttpCall per endpoint. The current endpoint is kept while it works; on a node failure the
 * error still goes to the caller (whose retries and backoff decide when to try again) and the next call
 * goes to the next endpoint. With one endpoint it is the plain call. Any node can take any request
 * (non-owners forward), so moving on is always safe.
 */
export function failover(calls: readonly HttpCall[], onSwitch?: (from: number, to: number, err: unknown) => void): HttpCall & { current(): number } {
  if (calls.length === 0) throw new RangeError('failover needs at least one endpoint');
  let current = 0;
  const call = (async (req) => {
    const i = current;
    try {
      return await calls[i]!(req);
    } catch (err) {
      if (calls.length > 1 && isNodeUnavailable(err) && current === i && !req.signal?.aborted) {
        current = (i + 1) % calls.length;
        onSwitch?.(i, current, err);
      }
      throw err;
    }
  }) as HttpCall & { current(): number };
  call.current = () => current;
  return call;
}
