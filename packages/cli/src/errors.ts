// Exit codes of `fustor` (documented in docs/api.md and docs/operations.md) and the error that carries one.

import { editDistance } from '@fustor/protocol';

export const EXIT = {
  OK: 0,
  /** wait-stable: not stable before --timeout. */
  TIMEOUT: 1,
  /** Bad command line, bad parameter (the API's 40001), or no key/view configured. */
  USAGE: 2,
  /** The view or path does not exist (40401). */
  NOT_FOUND: 3,
  /** The key is missing, unknown or revoked (401), or not allowed on this view or route (403). */
  AUTH: 4,
  /** Fusion cannot be reached, or answers 503 (starting or shutting down). */
  UNREACHABLE: 5,
  /** Fusion answered something else that is not a success (500, 429, an unexpected body). */
  SERVER: 6,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** A sentence saying what to do about it. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Nearest of `candidates` to `word` (edit distance ≤ 2), for "did you mean". */
export function suggest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) (best = c), (bestD = d);
  }
  return best;
}

