// Maps a pipe's source config onto the fs driver's options, routing driver issues into the pipe's log.

import type { Logger } from '@fustor/protocol';
import type { FsSourceOptions } from '@fustor/source-fs';
import type { PipeSpec } from '../config/types.js';

export function sourceOptions(spec: PipeSpec, log: Logger): FsSourceOptions {
  const dp = spec.source.config.driver_params;
  return {
    root: spec.source.config.uri,
    filePattern: dp.file_pattern,
    exclude: [...dp.exclude],
    writeSettleMs: dp.write_settle_ms,
    maxWatchedDirs: dp.max_watched_dirs,
    realtime: dp.realtime,
    batchSize: spec.sender.config.batch_max_events,
    events: {
      issue: (i) => {
        // ENOENT mid-scan is expected noise on a live tree: debug, not a warning.
        const level = i.kind === 'vanished' ? 'debug' : 'warn';
        log.log(level, `source: ${i.kind}`, { path: i.path, code: i.code, message: i.message });
      },
    },
  };
}
