// Tells the launcher when the agent's start-up code has run, so it can keep V8's code cache of it
// (bin/load-bundle.js): when the first snapshot of any pipe ends, or `maxMs` after the start.
//
// Why not at exit: V8 drops the bytecode of functions it has not run for a while, so a cache made after a
// long snapshot would miss the start-up path it is for; why not at once: the session, the walk and the
// first batches would not have been compiled yet.

import type { AgentStatus } from '../agent.js';

/** What the launcher hands the CLI (`main(argv, hooks)`). */
export interface LaunchHooks {
  /** Called at most once, once a start's code has been compiled (the bundle launcher writes its code cache). */
  warm?: () => unknown;
}

export interface WarmUpOptions {
  everyMs?: number;
  maxMs?: number;
}

/** Calls `then` once, after the first snapshot ends or `maxMs` passes; the returned function cancels. */
export function afterStartUp(status: () => AgentStatus, then: () => unknown, opts: WarmUpOptions = {}): () => void {
  const { everyMs = 100, maxMs = 2000 } = opts;
  const t0 = Date.now();
  const timer = setInterval(() => {
    const ended = status().pipes.some((p) => p.last_snapshot_end_ms !== null);
    if (!ended && Date.now() - t0 < maxMs) return;
    clearInterval(timer);
    then();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
