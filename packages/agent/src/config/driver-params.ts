// `driver_params` of an fs source as written in agent-config.yaml; the fs driver validates the mapped
// options again when the pipe creates it (source-fs options.ts), so its own limits stay authoritative.

import { z } from 'zod';
import { numberField, strictSection, textListField, type RenamedKeys } from '@fustor/protocol';
import { WATCHER_KINDS } from '@fustor/source-fs';

export const DRIVER_DEFAULTS = Object.freeze({
  file_pattern: '*',
  write_settle_ms: 1000,
  max_watched_dirs: 200_000,
  realtime: true,
});

const RENAMED: RenamedKeys = { file_patterns: 'file_pattern', excludes: 'exclude', settle_ms: 'write_settle_ms' };

export const driverParamsSchema = strictSection({
  file_pattern: z.string().min(1).default(DRIVER_DEFAULTS.file_pattern),
  exclude: textListField().default([]),
  write_settle_ms: numberField({ int: true, min: 0, max: 3_600_000 }).default(DRIVER_DEFAULTS.write_settle_ms),
  max_watched_dirs: numberField({ int: true, min: 1 }).default(DRIVER_DEFAULTS.max_watched_dirs),
  realtime: z.boolean().default(DRIVER_DEFAULTS.realtime),
  /** Realtime backend; absent: the driver's platform default (native on Linux, chokidar elsewhere). */
  watcher: z.enum(WATCHER_KINDS).optional(),
}, { what: 'driver parameters', renamed: RENAMED });

export type DriverParams = z.output<typeof driverParamsSchema>;
