// JSON-lines logger shared by both daemons: stderr in the foreground, a size-rotated file in daemon mode; secrets are redacted.

import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  setLevel(level: LogLevel): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  close(): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Log file; when absent lines go to stderr. */
  file?: string;
  /** Rotate when the file would exceed this size (default 10 MB). */
  maxBytes?: number;
  /** Rotated files kept: file.1 … file.N (default 5). */
  maxFiles?: number;
  /** Custom sink (tests); receives each full line without the newline. */
  sink?: (line: string) => void;
}

// Keys are secrets: any field whose name looks like a credential is replaced, never written.
const SECRET_NAME = /^(key|api_?key|x-api-key|authorization|credential|secret|password|token)$/i;

/** Deeper than this a value is replaced (never written unredacted, as the old depth-4 stop did). */
const MAX_REDACT_DEPTH = 32;

function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_REDACT_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  if (value instanceof Error) return { message: value.message, name: value.name, stack: value.stack };
  // `seen` holds the ancestors only: a value shared by two fields is written twice, a cycle once
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_NAME.test(k) ? '[redacted]' : redact(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/** Appends to a file and rotates by size: file → file.1 → … → file.N (the oldest is dropped). */
class RotatingFile {
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #maxFiles: number;
  #fd: number;
  #size: number;
  constructor(path: string, maxBytes: number, maxFiles: number) {
    this.#path = path;
    this.#maxBytes = maxBytes;
    this.#maxFiles = maxFiles;
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'a');
    this.#size = statSync(path).size;
  }
  write(line: string): void {
    const buf = Buffer.from(line + '\n', 'utf8');
    if (this.#size > 0 && this.#size + buf.length > this.#maxBytes) this.#rotate();
    writeSync(this.#fd, buf);
    this.#size += buf.length;
  }
  #rotate(): void {
    closeSync(this.#fd);
    rmSync(`${this.#path}.${this.#maxFiles}`, { force: true });
    for (let i = this.#maxFiles - 1; i >= 1; i--) {
      try {
        renameSync(`${this.#path}.${i}`, `${this.#path}.${i + 1}`);
      } catch {
        // a gap in the numbering is normal until N rotations happened
      }
    }
    renameSync(this.#path, `${this.#path}.1`);
    this.#fd = openSync(this.#path, 'a');
    this.#size = 0;
  }
  close(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // already closed
    }
  }
}

/** Level is shared between a logger and its children, so a reload's level change reaches all of them. */
interface SharedState {
  level: LogLevel;
}

class JsonLogger implements Logger {
  readonly #state: SharedState;
  readonly #write: (line: string) => void;
  readonly #bound: LogFields | undefined;
  readonly #closer: () => void;
  constructor(state: SharedState, write: (line: string) => void, bound: LogFields | undefined, closer: () => void) {
    this.#state = state;
    this.#write = write;
    this.#bound = bound;
    this.#closer = closer;
  }
  get level(): LogLevel {
    return this.#state.level;
  }
  setLevel(level: LogLevel): void {
    this.#state.level = level;
  }
  log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.#state.level]) return;
    const rec: Record<string, unknown> = { level, time: new Date().toISOString(), msg };
    if (this.#bound) Object.assign(rec, redact(this.#bound));
    if (fields) Object.assign(rec, redact(fields));
    let line: string;
    try {
      line = JSON.stringify(rec);
    } catch {
      line = JSON.stringify({ level, time: rec.time, msg, note: 'fields were not serializable' });
    }
    try {
      this.#write(line);
    } catch {
      // logging must never take the daemon down (disk full, closed stderr)
    }
  }
  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger(this.#state, this.#write, { ...this.#bound, ...fields }, () => undefined);
  }
  close(): void {
    this.#closer();
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  if (opts.sink) return new JsonLogger({ level }, opts.sink, undefined, () => undefined);
  if (opts.file) {
    const file = new RotatingFile(opts.file, opts.maxBytes ?? 10 * 1024 * 1024, opts.maxFiles ?? 5);
    return new JsonLogger({ level }, (l) => file.write(l), undefined, () => file.close());
  }
  return new JsonLogger({ level }, (l) => process.stderr.write(l + '\n'), undefined, () => undefined);
}

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v);
}
