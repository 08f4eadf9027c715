// Composable wrappers around an HttpCall: 429 Retry-After handling and bounded transient retries.

import { FusionError, isRetryable } from '../errors.js';
import { abortableSleep } from '../common/backoff.js';
import type { HttpCall } from './types.js';

export type Interceptor = (next: HttpCall) => HttpCall;

/** Applies interceptors outermost-first: compose(a, b)(call) = a(b(call)). */
export function compose(...layers: Interceptor[]): Interceptor {
  return (call) => layers.reduceRight((acc, layer) => layer(acc), call);
}

/** On 429 waits Retry-After (default `fallbackMs`, capped at `maxWaitMs`) and tries again, up to `maxTries`. */
export function rateLimit(opts: { maxTries?: number; fallbackMs?: number; maxWaitMs?: number; onWait?: (ms: number) => void } = {}): Interceptor {
  const maxTries = opts.maxTries ?? 5;
  return (next) => async (req) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (err) {
        if (!(err instanceof FusionError) || err.status !== 429 || attempt >= maxTries) throw err;
        const wait = Math.min(err.retryAfterMs ?? opts.fallbackMs ?? 1000, opts.maxWaitMs ?? 60_000);
        opts.onWait?.(wait);
        await abortableSleep(wait, req.signal);
      }
    }
  };
}

/**
 * Retries transient failures (transport, 5xx) a few times with a short doubling delay. Long outages
 * are the pipe's job (state machine backoff); this only smooths over blips.
 */
export function transientRetry(opts: { tries?: number; baseMs?: number } = {}): Interceptor {
  const tries = opts.tries ?? 2;
  const base = opts.baseMs ?? 100;
  return (next) => async (req) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (err) {
        if (attempt >= tries || !isRetryable(err) || (err instanceof FusionError && err.status === 429)) throw err;
        if (err instanceof FusionError && (err.code === 40101 || err.code === 40301)) throw err;
        await abortableSleep(base * 2 ** (attempt - 1), req.signal);
      }
    }
  };
}
