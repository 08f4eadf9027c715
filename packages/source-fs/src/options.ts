// driver_params → resolved, validated, frozen options (all before any watcher starts).

import type { z } from 'zod';
import { SourceOptionsError } from './errors.js';
import { nodeFsLayer, type FsLayer } from './fs-layer.js';
import { fsSourceOptionsSchema, KNOWN_OPTIONS, nearestOption, show, type WatcherBackend } from './options-schema.js';
import type { FsSourceOptions, SourceEventHandlers } from './types.js';

export { WATCHER_BACKENDS, defaultWatcher, type WatcherBackend } from './options-schema.js';

export interface ResolvedOptions {
  readonly root: string;
  readonly filePattern: string;
  readonly exclude: readonly string[];
  readonly writeSettleMs: number;
  readonly maxWatchedDirs: number;
  readonly realtime: boolean;
  readonly scanConcurrency: number;
  readonly batchSize: number;
  readonly coalesceMs: number;
  readonly events: SourceEventHandlers | undefined;
  readonly clock: () => number;
  readonly fs: FsLayer;
  readonly driftSampleDirs: number;
  readonly scanWorkers: number;
  /** Realtime backend (the watcher reads only this). */
  readonly watcher: WatcherBackend;
  /** True when tests replaced fs calls: stat workers (which use node:fs directly) are then off. */
  readonly fsInjected: boolean;
}

/** `exclude[2]`, `events.issue`: the path of the offending value, as a user would write it. */
function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out || '(options)';
}

/** The first problem of a failed parse as the SourceOptionsError a user sees. */
function toError(issue: z.core.$ZodIssue): SourceOptionsError {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const near = nearestOption(key);
    return new SourceOptionsError(
      keyPath([...issue.path, key]),
      near ? `is not a known option; did you mean '${near}'?` : `is not a known option; known: ${KNOWN_OPTIONS.join(', ')}`,
    );
  }
  return new SourceOptionsError(keyPath(issue.path), issue.message);
}

export function resolveOptions(o: FsSourceOptions): ResolvedOptions {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw new SourceOptionsError('(options)', `must be an object with at least 'root' (got ${show(o)})`);
  }
  const r = fsSourceOptionsSchema.safeParse(o);
  if (!r.success) throw toError(r.error.issues[0]!);
  const v = r.data;
  return Object.freeze({
    root: v.root,
    filePattern: v.filePattern,
    exclude: Object.freeze([...v.exclude]),
    writeSettleMs: v.writeSettleMs,
    maxWatchedDirs: v.maxWatchedDirs,
    realtime: v.realtime,
    scanConcurrency: v.scanConcurrency,
    batchSize: v.batchSize,
    coalesceMs: v.coalesceMs,
    events: v.events,
    clock: v.clock ?? Date.now,
    fs: Object.freeze({ ...nodeFsLayer, ...(v.fs ?? {}) }),
    driftSampleDirs: v.driftSampleDirs,
    scanWorkers: v.scanWorkers,
    watcher: v.watcher,
    fsInjected: v.fs !== undefined && Object.keys(v.fs).length > 0,
  });
}
