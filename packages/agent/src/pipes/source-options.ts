// Maps a pipe's source config onto the fs driver's options, routing driver issues into the pipe's log.

import type { Logger } from '@fustor/protocol';
import type { FsSourceOptions } from '@fustor/source-fs';
import type { PipeSpec } from '../config/types.js';

/** What the pipe itself must hear from its source besides log lines. */
export interface SourceHooks {
  /** The watched root went away (realtime is off until it is back): an operator should see it. */
  rootLost(message: string): void;
  /** The root is watched again after a loss: what happened meanwhile needs a snapshot and an audit. */
  rescanNeeded(reason: string): void;
}

/** Environment variable that shifts the agent's clock, for tests only (docs/operations.md). */
export const TEST_CLOCK_OFFSET_ENV = 'FUSTOR_TEST_CLOCK_OFFSET_MS';

/** Test-only: a clock `FUSTOR_TEST_CLOCK_OFFSET_MS` ms off, to rehearse an agent whose clock is wrong (quality.md R9). */
export function testClock(env: NodeJS.ProcessEnv = process.env): (() => number) | undefined {
  const raw = env[TEST_CLOCK_OFFSET_ENV];
  if (raw === undefined || raw === '') return undefined;
  const offset = Number(raw);
  if (!Number.isFinite(offset)) throw new Error(`${TEST_CLOCK_OFFSET_ENV}='${raw}' is not a number of milliseconds`);
  return () => Date.now() + offset;
}

export function sourceOptions(spec: PipeSpec, log: Logger, hooks?: SourceHooks): FsSourceOptions {
  const dp = spec.source.config.driver_params;
  const watcher = dp.watcher;
  const clock = testClock();
  return {
    ...(clock ? { clock } : {}),
    root: spec.source.config.uri,
    filePattern: dp.file_pattern,
    exclude: [...dp.exclude],
    writeSettleMs: dp.write_settle_ms,
    maxWatchedDirs: dp.max_watched_dirs,
    realtime: dp.realtime,
    ...(watcher === undefined ? {} : { watcher }),
    batchSize: spec.sender.config.batch_max_events,
    events: {
      issue: (i) => {
        // ENOENT mid-scan is expected noise on a live tree: debug, not a warning.
        const level = i.kind === 'vanished' ? 'debug' : 'warn';
        log.log(level, `source: ${i.kind}`, { path: i.path, code: i.code, message: i.message });
        if (i.kind === 'root_lost') hooks?.rootLost(`${i.path}: ${i.message}`);
      },
      rescanNeeded: (reason) => hooks?.rescanNeeded(reason),
    },
  };
}
