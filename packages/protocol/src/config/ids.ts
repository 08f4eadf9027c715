// The id rule shared by every config id (agent, source, sender, pipe, view, node) and the wire.

import type { z } from 'zod';
import { configProblem } from './problem.js';
import { textField } from './section.js';

export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
export const MAX_ID_LENGTH = 128;
export const ID_RULE = `use letters, digits and . _ : @ - (starting with a letter or digit), at most ${MAX_ID_LENGTH} characters`;

export function isValidId(v: string): boolean {
  return v.length <= MAX_ID_LENGTH && ID_RE.test(v);
}

/** An id field: a non-empty string following the id rule (a YAML number is taken as its text). */
export function idSchema(): z.ZodType<string> {
  return textField()
    .superRefine((v, ctx) => {
      if (!isValidId(v)) ctx.addIssue({ code: 'custom', message: configProblem(`'${v}' is not a valid id`, ID_RULE) });
    });
}
