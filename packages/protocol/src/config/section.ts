// Strict config mappings and typed fields: unknown keys fail with a "did you mean", renamed keys fail
// naming their replacement, and every message carries its fix.

import { z } from 'zod';
import { configProblem } from './problem.js';
import { nearestKey } from './suggest.js';

/** Keys that were renamed in this mapping: old key → what to write instead. */
export type RenamedKeys = Readonly<Record<string, string>>;

export interface SectionOptions {
  /** What the mapping holds, for "must be a mapping (…)". */
  what?: string;
  renamed?: RenamedKeys;
}

/** The message for an unknown key of a mapping whose keys are `known`. */
export function unknownKeyProblem(key: string, known: readonly string[], renamed: RenamedKeys = {}): string {
  const replacement = renamed[key];
  if (replacement) return configProblem(`option '${key}' was renamed`, `use '${replacement}' instead`);
  const near = nearestKey(key, known);
  return configProblem('unknown key', near ? `did you mean '${near}'?` : `known keys here: ${known.join(', ')}`);
}

/** A strict mapping of `shape` (unknown keys fail with a suggestion, renamed ones with their replacement). */
export function strictSection<S extends z.ZodRawShape>(shape: S, opts: SectionOptions = {}): z.ZodObject<S, z.core.$strict> {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') return unknownKeyProblem(iss.keys[0]!, known, opts.renamed);
      if (iss.code === 'invalid_type') {
        return configProblem(`must be a mapping${opts.what ? ` (${opts.what})` : ''}, got ${describeValue(iss.input)}`, 'write it as "key: value" lines');
      }
      return undefined;
    },
  });
}

/** How a YAML value reads in a message (never echoes a long or secret string). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return v.length > 40 ? 'a string' : `string ${JSON.stringify(v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

export interface NumberOptions {
  min?: number;
  max?: number;
  int?: boolean;
}

/** A number with bounds (and `int` for whole numbers). */
export function numberField(opts: NumberOptions = {}): z.ZodNumber {
  let s = z.number();
  if (opts.int) s = s.int();
  if (opts.min !== undefined) s = s.min(opts.min);
  if (opts.max !== undefined) s = s.max(opts.max);
  return s;
}

/** A non-blank string; YAML numbers and booleans are taken as their text (`id: 7`, `credential: 12345`). */
export function textField(): z.ZodType<string> {
  return z.preprocess(
    (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v),
    z.string().refine((v) => v.trim() !== '', { message: configProblem('must not be empty', 'give it a value') }),
  ) as unknown as z.ZodType<string>;
}

/** A list of non-empty strings; a single string is a list of one. */
export function textListField(): z.ZodType<string[]> {
  return z.preprocess(
    (v) => (typeof v === 'string' ? [v] : v),
    z.array(z.string().min(1)),
  ) as unknown as z.ZodType<string[]>;
}

/** An http(s) URL; trailing slashes are dropped. */
export function httpUrlField(example: string): z.ZodType<string> {
  return textField()
    .refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    }, { message: configProblem('is not an http(s) URL', `write a base URL such as ${example}`) })
    .transform((v) => v.replace(/\/+$/, ''));
}
