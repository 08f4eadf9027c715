// The driver options as one strict zod schema: each key's rule, default and problem message in one place.

import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { editDistance } from '@fustor/protocol';
import type { FsLayer } from './fs-layer.js';
import type { SourceEventHandlers } from './types.js';

/** Realtime backend: inotify-style native watches (Linux), or chokidar (portable). */
export const WATCHER_BACKENDS = ['native', 'chokidar'] as const;
export type WatcherBackend = (typeof WATCHER_BACKENDS)[number];

/** Native watches are one inotify watch per directory, which only Linux gives cheaply. */
export function defaultWatcher(platform: NodeJS.Platform = process.platform): WatcherBackend {
  return platform === 'linux' ? 'native' : 'chokidar';
}

/** One stat worker sharing directories with the main thread: two threads for two cores (docs/benchmarks.md). */
const DEFAULT_SCAN_WORKERS = 1;

/** How a value reads in a message: short, and never the whole of a large object. */
export function show(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return v.length > 4 ? `a list of ${v.length}` : JSON.stringify(v);
  if (v !== null && typeof v === 'object') return 'an object';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Every problem with one key reads the same: the rule, then what was given. */
const says = (rule: string) => (iss: { input?: unknown }) => `${rule} (got ${show(iss.input)})`;

function int(min: number, max: number, def: number) {
  const error = says(`must be an integer from ${min} to ${max}`);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(def);
}

function fn<T>(rule: string) {
  return z.custom<T>((v) => typeof v === 'function', { error: says(rule) });
}

/** An object whose values are functions (hooks, fs seams); keys are free so the contract can grow. */
function functions<T>(what: string, example: string) {
  return z.custom<T>(
    (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((f) => f === undefined || typeof f === 'function'),
    { error: says(`must be an object of functions (${what}, e.g. ${example})`) },
  );
}

const glob = "must be a non-empty glob on the file name, without '/' (e.g. '*.dat')";
const excludeRule = "must be a list of non-empty globs on the view path (e.g. ['**/.snapshot/**'])";

export const fsSourceOptionsSchema = z.strictObject({
  root: z
    .string({ error: says('must be an absolute path (the pipe source uri)') })
    .refine((v) => isAbsolute(v), { error: says('must be an absolute path (the pipe source uri)') }),
  filePattern: z
    .string({ error: says(glob) })
    .refine((v) => v !== '' && !v.includes('/'), { error: says(glob) })
    .default('*'),
  exclude: z
    .array(z.string({ error: says(excludeRule) }).min(1, { error: says(excludeRule) }), { error: says(excludeRule) })
    .default([]),
  writeSettleMs: int(0, 3_600_000, 1000),
  maxWatchedDirs: int(0, 10_000_000, 200_000),
  realtime: z.boolean({ error: says('must be true or false') }).default(true),
  scanConcurrency: int(1, 256, 16),
  batchSize: int(1, 10_000, 1000),
  coalesceMs: int(0, 10_000, 2),
  events: functions<SourceEventHandlers>('reporting hooks', '{ issue(i) {...} }').optional(),
  clock: fn<() => number>('must be a function returning milliseconds (e.g. Date.now)').optional(),
  fs: functions<Partial<FsLayer>>('fs calls to replace', '{ lstatSync }').optional(),
  driftSampleDirs: int(0, 1_000_000, 2000),
  scanWorkers: int(0, 16, DEFAULT_SCAN_WORKERS),
  watcher: z
    .enum(WATCHER_BACKENDS, { error: says(`must be one of ${WATCHER_BACKENDS.map((b) => `'${b}'`).join(', ')}`) })
    .default(defaultWatcher),
});

export type ParsedOptions = z.output<typeof fsSourceOptionsSchema>;
export const KNOWN_OPTIONS: readonly string[] = Object.freeze(Object.keys(fsSourceOptionsSchema.shape));


/**
 * The known option an unknown key was probably meant to be: case and '_' / '-' are ignored, so the
 * agent config's snake_case spelling (`file_pattern`) finds the driver's camelCase (`filePattern`).
 */
export function nearestOption(key: string): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of KNOWN_OPTIONS) {
    const d = editDistance(norm(key), norm(k));
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
