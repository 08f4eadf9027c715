// Deadline-bounded waits for e2e tests: the shared waitFor with the e2e defaults (a throwing probe — a
// server still starting — counts as "not yet"; 100 ms between probes).

import { waitFor as sharedWaitFor, type Truthy, type WaitOptions } from '@fustor/test-helpers';

export { notYet, sleep, WaitTimeoutError } from '@fustor/test-helpers';

/** How long a daemon may take from spawn to answering its readiness probe on a loaded 2-core machine. */
export const READY_TIMEOUT_MS = 30_000;

/** Calls `probe` until it returns a truthy value other than notYet(why), or the deadline passes. */
export function waitFor<T>(probe: () => T | Promise<T>, opts: WaitOptions & { timeoutMs: number }): Promise<Truthy<T>> {
  return sharedWaitFor(probe, { retryErrors: true, intervalMs: 100, ...opts });
}
