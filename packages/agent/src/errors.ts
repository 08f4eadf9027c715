// Agent error classes: stable codes and messages that say how to fix the problem.

/** A problem in agent-config.yaml: names the file, the key path and the fix (shared with Fusion). */
export { ConfigError } from '@fustor/protocol';

/** A non-success answer from Fusion (envelope code != 0) or a non-JSON error status. */
export class FusionError extends Error {
  readonly code: number;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  /** Parsed Retry-After (ms) on 429/503, if the server sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, code: number, message: string, details?: Record<string, unknown>, retryAfterMs?: number) {
    super(`Fusion answered ${status} (${code}): ${message}`);
    this.name = 'FusionError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The session is gone on Fusion (40402); the pipe must open a new one at once. */
export class SessionExpiredError extends Error {
  readonly code = 'E_SESSION_EXPIRED';
  constructor(sessionId: string) {
    super(`session ${sessionId} is unknown or expired on Fusion; opening a new session`);
    this.name = 'SessionExpiredError';
  }
}

/** Fusion could not be reached (connection refused, reset, timeout). Always retried. */
export class TransportError extends Error {
  readonly code = 'E_TRANSPORT';
  constructor(url: string, cause: unknown) {
    super(`cannot reach Fusion at ${url}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'TransportError';
  }
}

/** The spool could not write (disk full, I/O error, permissions): the events are lost and the pipe re-snapshots. */
export class SpoolWriteError extends Error {
  readonly code = 'E_SPOOL_WRITE';
  /** errno of the failed call (ENOSPC, EIO, EACCES…). */
  readonly errno: string;
  readonly fix: string;
  constructor(dir: string, errno: string, cause: unknown) {
    const fix = errno === 'ENOSPC' || errno === 'EDQUOT'
      ? `free space on the filesystem holding ${dir} (the agent home); the spool resumes by itself`
      : `check that ${dir} is writable; the spool retries with every new event`;
    super(`spool write failed in ${dir} (${errno}): ${cause instanceof Error ? cause.message : String(cause)} — ${fix}`);
    this.name = 'SpoolWriteError';
    this.errno = errno;
    this.fix = fix;
  }
}

/** A second daemon for the same home, or a CLI command that needs a running daemon. */
export class DaemonError extends Error {
  readonly code: string;
  constructor(code: 'E_RUNNING' | 'E_NOT_RUNNING' | 'E_START_FAILED', message: string) {
    super(message);
    this.name = 'DaemonError';
    this.code = code;
  }
}

/** True for failures worth retrying with backoff (transport, 5xx, 429, auth hiccups). */
export function isRetryable(err: unknown): boolean {
  if (err instanceof TransportError) return true;
  if (err instanceof FusionError) {
    return err.status >= 500 || err.status === 429 || err.code === 40101 || err.code === 40301 || err.status === 408;
  }
  return false;
}
