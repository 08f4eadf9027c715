// Typed field readers over parsed YAML that reject unknown keys and name the key path in every error.

import { ConfigError } from '../errors.js';
import { nearestKey, RENAMED } from './suggest.js';

export type Raw = Record<string, unknown>;

/** Reads one YAML mapping; every helper reports problems against `path` inside `file`. */
export class Section {
  readonly file: string;
  readonly path: string;
  readonly raw: Raw;
  constructor(file: string, path: string, raw: Raw) {
    this.file = file;
    this.path = path;
    this.raw = raw;
  }

  static of(file: string, path: string, value: unknown, what: string): Section {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ConfigError(file, path, `must be a mapping (${what})`, `write it as "key: value" lines under ${path || 'the top level'}`);
    }
    return new Section(file, path, value as Raw);
  }

  key(k: string): string {
    return this.path ? `${this.path}.${k}` : k;
  }

  fail(k: string, problem: string, fix: string): never {
    throw new ConfigError(this.file, this.key(k), problem, fix);
  }

  /** Rejects keys outside `known`, naming a renamed option's replacement or the nearest known key. */
  onlyKeys(section: string, known: readonly string[]): void {
    for (const k of Object.keys(this.raw)) {
      if (known.includes(k)) continue;
      const renamed = RENAMED[`${section}.${k}`];
      if (renamed) this.fail(k, `option '${k}' was renamed`, `use '${renamed}' instead`);
      const near = nearestKey(k, known);
      this.fail(k, 'unknown key', near ? `did you mean '${near}'?` : `known keys here: ${known.join(', ')}`);
    }
  }

  has(k: string): boolean {
    return this.raw[k] !== undefined && this.raw[k] !== null;
  }

  str(k: string, dflt?: string): string {
    const v = this.raw[k];
    if (v === undefined || v === null) {
      if (dflt !== undefined) return dflt;
      this.fail(k, 'is required', `add '${k}: ...' to ${this.path || 'the file'}`);
    }
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') this.fail(k, `must be a string, got ${describe(v)}`, 'write a plain or quoted string');
    if (v.trim() === '') this.fail(k, 'must not be empty', `give '${k}' a value`);
    return v;
  }

  num(k: string, dflt: number, opts: { min?: number; max?: number; int?: boolean } = {}): number {
    const v = this.raw[k];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(k, `must be a number, got ${describe(v)}`, 'write a number without quotes');
    if (opts.int && !Number.isInteger(v)) this.fail(k, 'must be a whole number', `e.g. ${Math.round(v)}`);
    if (opts.min !== undefined && v < opts.min) this.fail(k, `must be >= ${opts.min}`, `raise it to at least ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) this.fail(k, `must be <= ${opts.max}`, `lower it to at most ${opts.max}`);
    return v;
  }

  bool(k: string, dflt: boolean): boolean {
    const v = this.raw[k];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') this.fail(k, `must be true or false, got ${describe(v)}`, 'write true or false without quotes');
    return v;
  }

  strList(k: string, dflt: string[]): string[] {
    const v = this.raw[k];
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v)) this.fail(k, `must be a list of strings, got ${describe(v)}`, `write ${k}: ["pattern", ...]`);
    return v.map((item, i) => {
      if (typeof item !== 'string' || item === '') this.fail(`${k}[${i}]`, 'must be a non-empty string', 'quote the pattern');
      return item;
    });
  }

  oneOf<T extends string>(k: string, allowed: readonly T[], dflt?: T): T {
    const v = this.str(k, dflt);
    if (!(allowed as readonly string[]).includes(v)) {
      this.fail(k, `unsupported value '${v}'`, `use one of: ${allowed.join(', ')}`);
    }
    return v as T;
  }

  section(k: string, what: string): Section {
    return Section.of(this.file, this.key(k), this.raw[k] ?? {}, what);
  }

  list(k: string): unknown[] {
    const v = this.raw[k];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(k, `must be a list, got ${describe(v)}`, `write each entry as "- id: ..." under ${k}:`);
    return v;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
