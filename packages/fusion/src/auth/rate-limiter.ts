// Per-key request budget per minute (fixed one-minute windows); 0 disables it.

import { RateLimitedError } from '../errors.js';

export class RateLimiter {
  #limit: number;
  readonly #windows = new Map<string, { start: number; count: number }>();
  readonly #now: () => number;
  constructor(limitPerMinute: number, now: () => number = Date.now) {
    this.#limit = limitPerMinute;
    this.#now = now;
  }
  get limit(): number {
    return this.#limit;
  }
  setLimit(limitPerMinute: number): void {
    this.#limit = limitPerMinute;
    this.#windows.clear();
  }
  /** Counts one request for `keyId`; throws RateLimitedError (429 + Retry-After) when over budget. */
  hit(keyId: string): void {
    if (this.#limit <= 0) return;
    const now = this.#now();
    let w = this.#windows.get(keyId);
    if (!w || now - w.start >= 60_000) {
      w = { start: now, count: 0 };
      this.#windows.set(keyId, w);
      if (this.#windows.size > 10_000) this.#prune(now);
    }
    w.count++;
    if (w.count > this.#limit) throw new RateLimitedError(Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000)));
  }
  #prune(now: number): void {
    for (const [k, w] of this.#windows) if (now - w.start >= 60_000) this.#windows.delete(k);
  }
}
