// Turns zod failures into one ProtocolValidationError whose message names the field, e.g. "events[3].path: must start with '/'".

import type { z } from 'zod';
import { ProtocolValidationError } from './errors.js';

export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'is required';
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  }
  return issue.message;
}

/** Parses `value` with `schema` or throws a ProtocolValidationError about the first problem found. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = formatIssuePath(prefix ? [prefix, ...issue.path] : issue.path);
  throw new ProtocolValidationError(field, describe(issue));
}
