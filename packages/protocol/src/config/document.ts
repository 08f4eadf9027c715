// A parsed config document through its schema: nulls as "unset", the first zod issue as one ConfigError
// ("file: key.path: problem; fix"), the result deep-frozen.

import type { z } from 'zod';
import { formatIssuePath } from '../validate.js';
import { ConfigError, splitConfigProblem } from './problem.js';
import { describeValue } from './section.js';

/** `key:` with no value is YAML null: treated as absent, so the default applies (list items are kept). */
export function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x !== null && typeof x === 'object' ? dropNulls(x) : x));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== null) out[k] = dropNulls(x);
  return out;
}

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The problem and fix of one zod issue, in the words the config docs use. */
export function describeIssue(issue: z.core.$ZodIssue): { problem: string; fix: string } {
  const own = splitConfigProblem(issue.message);
  if (own.fix) return own;
  const input = (issue as { input?: unknown }).input;
  const key = String(issue.path.at(-1) ?? 'it');
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return { problem: 'is required', fix: `add '${key}: ...'` };
      switch (issue.expected) {
        case 'int':
          return { problem: 'must be a whole number', fix: typeof input === 'number' ? `e.g. ${Math.round(input)}` : 'write a whole number' };
        case 'number':
          return { problem: `must be a number, got ${describeValue(input)}`, fix: 'write a number without quotes' };
        case 'boolean':
          return { problem: `must be true or false, got ${describeValue(input)}`, fix: 'write true or false without quotes' };
        case 'string':
          return { problem: `must be a string, got ${describeValue(input)}`, fix: 'write a plain or quoted string' };
        case 'array':
          return { problem: `must be a list, got ${describeValue(input)}`, fix: `write each entry on its own "- " line under ${key}:` };
        case 'object':
          return { problem: `must be a mapping, got ${describeValue(input)}`, fix: 'write it as "key: value" lines' };
        default:
          return { problem: issue.message, fix: '' };
      }
    case 'too_small':
      if (issue.origin === 'string') return { problem: 'must not be empty', fix: 'give it a value' };
      if (issue.origin === 'array') return { problem: `must have at least ${issue.minimum} entries`, fix: 'add entries' };
      return { problem: `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`, fix: `raise it to at least ${issue.minimum}` };
    case 'too_big':
      if (issue.origin === 'string') return { problem: `must be at most ${issue.maximum} characters`, fix: 'shorten it' };
      if (issue.origin === 'array') return { problem: `must have at most ${issue.maximum} entries`, fix: 'remove entries' };
      return { problem: `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`, fix: `lower it to at most ${issue.maximum}` };
    case 'invalid_value':
      if (input === undefined) return { problem: 'is required', fix: `add '${key}: …' with one of: ${issue.values.map(String).join(', ')}` };
      return { problem: `unsupported value ${describeValue(input)}`, fix: `use one of: ${issue.values.map(String).join(', ')}` };
    case 'unrecognized_keys':
      return { problem: 'unknown key', fix: 'remove it' };
    default:
      return own;
  }
}

/** The key path of an issue: an unknown key's path names the key itself. */
export function issueKeyPath(issue: z.core.$ZodIssue): string {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  return formatIssuePath(path);
}

/**
 * Parses a YAML document (already turned into plain values) with `schema`, or throws a ConfigError about
 * the first problem (an unknown key before anything else). A missing or empty document is an empty mapping.
 */
export function parseConfigDocument<S extends z.ZodType>(schema: S, doc: unknown, file: string): z.output<S> {
  const result = schema.safeParse(dropNulls(doc ?? {}), { reportInput: true });
  if (result.success) return result.data;
  // An unknown or renamed key first: a misspelt `credential` is why `credential` is "required".
  const issue = result.error.issues.find((i) => i.code === 'unrecognized_keys') ?? result.error.issues[0]!;
  const { problem, fix } = describeIssue(issue);
  throw new ConfigError(file, issueKeyPath(issue), problem, fix);
}
