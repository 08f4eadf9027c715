// Deadline-bounded waits: re-check a condition until it holds, on a poll interval or as soon as a signal fires.

import type { EventEmitter } from 'node:events';

export class WaitTimeoutError extends Error {
  constructor(what: string, ms: number, last: string) {
    super(`timed out after ${ms} ms waiting for ${what}${last ? `\n--- last observation ---\n${last}` : ''}`);
    this.name = 'WaitTimeoutError';
  }
}

/** A check's "not yet" that says what it saw; the last one is shown when the deadline passes. */
export class NotYet {
  readonly why: string;
  constructor(why: string) {
    this.why = why;
  }
}

export function notYet(why: string): NotYet {
  return new NotYet(why);
}

/** Subscribes `recheck` to whatever signals progress; returns the unsubscribe. */
export type Wake = (recheck: () => void) => () => void;

export interface WaitOptions {
  /** Names the awaited condition in the timeout message. */
  what: string;
  /** Total budget (default 10 s: generous on a loaded 2-core machine, still bounded). */
  timeoutMs?: number;
  /** Pause between checks when no signal fires (default 10 ms). */
  intervalMs?: number;
  /** Re-check at once when this fires (an event, a callback); polling stays as the fallback. */
  wake?: Wake;
  /**
   * A throwing check counts as "not yet" (a server still starting); its message is the last observation.
   * A function decides per error (e.g. everything but a crashed process).
   */
  retryErrors?: boolean | ((err: unknown) => boolean);
}

export type Truthy<T> = Exclude<T, NotYet | false | null | undefined | 0 | ''>;

/**
 * Calls `check` until it returns a truthy value other than NotYet, and returns that value; throws
 * WaitTimeoutError after the deadline. `what` is the description, or every option at once.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string | WaitOptions,
  more: Omit<WaitOptions, 'what'> = {},
): Promise<Truthy<T>> {
  const o: WaitOptions = typeof what === 'string' ? { ...more, what } : { ...what, ...more };
  const timeoutMs = o.timeoutMs ?? 10_000;
  const interval = o.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let kick: (() => void) | null = null;
  let kicked = false;
  const unsubscribe = o.wake?.(() => {
    kicked = true;
    kick?.();
  });
  let last = '';
  try {
    for (;;) {
      kicked = false;
      try {
        const v = await check();
        if (v instanceof NotYet) last = v.why;
        else if (v) return v as Truthy<T>;
      } catch (err) {
        const retry = typeof o.retryErrors === 'function' ? o.retryErrors(err) : o.retryErrors === true;
        if (!retry) throw err;
        last = err instanceof Error ? err.message : String(err);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimeoutError(o.what, timeoutMs, last);
      if (kicked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(interval, left));
        function done(): void {
          clearTimeout(timer);
          kick = null;
          resolve();
        }
        kick = done;
      });
    }
  } finally {
    unsubscribe?.();
  }
}

/** A Wake for waitFor that fires on every `event` of `emitter`. */
export function onEvent(emitter: EventEmitter, event: string): Wake {
  return (recheck) => {
    emitter.on(event, recheck);
    return () => void emitter.off(event, recheck);
  };
}

/** Lets time pass; never use it to synchronize with a process, only where elapsed time is the point. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Something a test waits on that says when it changed: `fire()` on every change, `wake` for waitFor. */
export class Signal {
  readonly #waiters = new Set<() => void>();

  fire(): void {
    for (const w of [...this.#waiters]) w();
  }

  readonly wake: Wake = (recheck) => {
    this.#waiters.add(recheck);
    return () => void this.#waiters.delete(recheck);
  };
}
