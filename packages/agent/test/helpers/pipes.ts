// One Pipe per test on a temp state dir, stopped and cleaned after it: the lifecycle the pipe tests share.

import { afterEach, beforeEach } from 'vitest';
import { tempTree, type TempTree } from '@fustor/test-helpers';
import type { PipeSpec } from '../../src/config/types.js';
import { Pipe, type PipeDeps } from '../../src/pipes/pipe.js';
import { quietLogger } from './fakes.js';

/** Short retry waits, so backoff paths run in milliseconds. */
export const FAST = { baseMs: 5, capMs: 40, jitter: 0.5 };

/** What a test gives a pipe; the state dir, and by default a quiet log, FAST backoff and 50 ms command waits, come from here. */
export type TestPipeDeps = Pick<PipeDeps, 'createSource' | 'createSender'> & Partial<Omit<PipeDeps, 'stateDir'>>;

/**
 * Call inside a describe: registers the hooks and returns the function that builds the test's pipe.
 * `stateDir()` is the current test's temp directory.
 */
export function usePipes(): { newPipe: (spec: PipeSpec, deps: TestPipeDeps) => Pipe; stateDir: () => string } {
  let tmp: TempTree;
  let pipe: Pipe | null = null;
  beforeEach(() => {
    tmp = tempTree();
    pipe = null;
  });
  afterEach(async () => {
    await pipe?.stop(200);
    tmp.cleanup();
  });
  return {
    newPipe: (spec, deps) => (pipe = new Pipe(spec, { stateDir: tmp.dir, log: quietLogger(), backoff: FAST, commandWaitMs: 50, ...deps })),
    stateDir: () => tmp.dir,
  };
}
