// driver_params → resolved, validated, frozen options (all before any watcher starts).

import { isAbsolute } from 'node:path';
import { SourceOptionsError } from './errors.js';
import { nodeFsLayer, type FsLayer } from './fs-layer.js';
import { WATCHER_KINDS, type FsSourceOptions, type SourceEventHandlers, type WatcherKind } from './types.js';

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
  readonly watcher: WatcherKind;
  /** True when tests replaced fs calls: stat workers (which use node:fs directly) are then off. */
  readonly fsInjected: boolean;
}

/** One stat worker sharing directories with the main thread: two threads for two cores (docs/benchmarks.md). */
const DEFAULT_SCAN_WORKERS = 1;

const KNOWN_KEYS = new Set([
  'root', 'filePattern', 'exclude', 'writeSettleMs', 'maxWatchedDirs', 'realtime', 'scanConcurrency',
  'batchSize', 'coalesceMs', 'events', 'clock', 'fs', 'driftSampleDirs', 'scanWorkers', 'watcher',
]);

/** inotify per directory where it exists (Linux); chokidar, the portable library, elsewhere (docs/source-fs.md). */
export const DEFAULT_WATCHER: WatcherKind = process.platform === 'linux' ? 'native' : 'chokidar';

function int(key: string, v: unknown, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new SourceOptionsError(key, `must be an integer from ${min} to ${max} (got ${JSON.stringify(v)})`);
  }
  return v;
}

export function resolveOptions(o: FsSourceOptions): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw new SourceOptionsError('(options)', 'must be an object');
  for (const k of Object.keys(o)) {
    if (!KNOWN_KEYS.has(k)) throw new SourceOptionsError(k, `is not a known option; known: ${[...KNOWN_KEYS].join(', ')}`);
  }
  if (typeof o.root !== 'string' || !isAbsolute(o.root)) {
    throw new SourceOptionsError('root', 'must be an absolute path (the pipe source uri)');
  }
  const filePattern = o.filePattern ?? '*';
  if (typeof filePattern !== 'string' || filePattern === '' || filePattern.includes('/')) {
    throw new SourceOptionsError('filePattern', "must be a non-empty glob on the file name, without '/' (e.g. '*.dat')");
  }
  const exclude = o.exclude ?? [];
  if (!Array.isArray(exclude) || exclude.some((g) => typeof g !== 'string' || g === '')) {
    throw new SourceOptionsError('exclude', "must be a list of non-empty globs on the view path (e.g. ['**/.snapshot/**'])");
  }
  if (o.realtime !== undefined && typeof o.realtime !== 'boolean') {
    throw new SourceOptionsError('realtime', 'must be true or false');
  }
  if (o.watcher !== undefined && !WATCHER_KINDS.includes(o.watcher)) {
    throw new SourceOptionsError('watcher', `must be one of ${WATCHER_KINDS.join(', ')} (got ${JSON.stringify(o.watcher)})`);
  }
  if (o.clock !== undefined && typeof o.clock !== 'function') throw new SourceOptionsError('clock', 'must be a function');
  return Object.freeze({
    root: o.root,
    filePattern,
    exclude: Object.freeze([...exclude]),
    writeSettleMs: int('writeSettleMs', o.writeSettleMs, 1000, 0, 3_600_000),
    maxWatchedDirs: int('maxWatchedDirs', o.maxWatchedDirs, 200_000, 0, 10_000_000),
    realtime: o.realtime ?? true,
    scanConcurrency: int('scanConcurrency', o.scanConcurrency, 16, 1, 256),
    batchSize: int('batchSize', o.batchSize, 1000, 1, 10_000),
    coalesceMs: int('coalesceMs', o.coalesceMs, 2, 0, 10_000),
    events: o.events,
    clock: o.clock ?? Date.now,
    fs: Object.freeze({ ...nodeFsLayer, ...(o.fs ?? {}) }),
    driftSampleDirs: int('driftSampleDirs', o.driftSampleDirs, 2000, 0, 1_000_000),
    scanWorkers: int('scanWorkers', o.scanWorkers, DEFAULT_SCAN_WORKERS, 0, 16),
    watcher: o.watcher ?? DEFAULT_WATCHER,
    fsInjected: o.fs !== undefined && Object.keys(o.fs).length > 0,
  });
}
