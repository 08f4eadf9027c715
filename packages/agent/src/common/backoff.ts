// Exponential backoff with full jitter, capped; plus an abortable sleep used by every retry loop.

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  factor?: number;
  /** Fraction of the delay that is randomized: delay in [d*(1-jitter), d]. */
  jitter?: number;
  random?: () => number;
}

/** delay(n) grows base·factor^n up to cap; each value is jittered downwards to spread reconnect storms. */
export class Backoff {
  readonly #base: number;
  readonly #cap: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.#base = opts.baseMs ?? 500;
    this.#cap = opts.capMs ?? 30_000;
    this.#factor = opts.factor ?? 2;
    this.#jitter = opts.jitter ?? 0.5;
    this.#random = opts.random ?? Math.random;
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** The un-jittered ceiling for the given attempt. */
  ceiling(attempt: number): number {
    return Math.min(this.#cap, this.#base * this.#factor ** attempt);
  }

  /** Next delay; advances the attempt counter. */
  next(): number {
    const ceil = this.ceiling(this.#attempt);
    this.#attempt++;
    return Math.round(ceil * (1 - this.#jitter * this.#random()));
  }

  reset(): void {
    this.#attempt = 0;
  }
}

export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortError';
  }
}

/** Resolves after ms, or rejects with AbortError as soon as signal fires. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'UND_ERR_ABORTED');
}
