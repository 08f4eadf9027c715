// Deadline-bounded polling: the only way e2e tests synchronize with the processes they drive.

/** How long a daemon may take from spawn to answering its readiness probe on a loaded 2-core machine. */
export const READY_TIMEOUT_MS = 30_000;

export class WaitTimeoutError extends Error {
  constructor(what: string, ms: number, last: string) {
    super(`timed out after ${ms} ms waiting for ${what}${last ? `\n--- last observation ---\n${last}` : ''}`);
    this.name = 'WaitTimeoutError';
  }
}

export interface WaitOptions {
  /** Total budget in milliseconds. */
  timeoutMs: number;
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number;
  /** Describes the awaited condition in the timeout message. */
  what: string;
}

/**
 * Calls `probe` until it returns `{ ok: true, value }` or the deadline passes. A probe that throws counts
 * as "not yet" (a server still starting refuses connections); its message becomes the last observation.
 */
export async function waitFor<T>(
  probe: () => Promise<{ ok: true; value: T } | { ok: false; why: string }>,
  opts: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 100;
  let last = '';
  for (;;) {
    try {
      const r = await probe();
      if (r.ok) return r.value;
      last = r.why;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(opts.what, opts.timeoutMs, last);
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
}

/** Lets time pass; never use it to synchronize with a process, only when elapsed time is the point. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
