// Fusion's error classes: each carries the HTTP status, the protocol.md API code and a sentence saying how to fix it.

import { ERROR_CODES, type ErrorName } from '@fustor/protocol';

/** Base of every error that maps onto the wire envelope. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly fix: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(name: ErrorName, message: string, fix: string, details?: Record<string, unknown>) {
    super(message);
    this.name = `${name}Error`;
    this.status = ERROR_CODES[name].http;
    this.code = ERROR_CODES[name].code;
    this.fix = fix;
    this.details = details;
  }
}

/** Fix texts per code, shown in docs/api.md and used as defaults. */
export const FIX_TEXTS: Record<number, string> = {
  40001: 'Correct the named field (see docs/api.md for the message shapes) and resend.',
  40101: 'Send a valid key in X-API-Key or Authorization: Bearer; create one with `fustor-fusion keys create`.',
  40301: "Use a key whose role and views cover this route and view (admin keys cover everything).",
  40302: 'Only the view leader may send snapshot/audit/sentinel calls; wait for a heartbeat that says role=leader.',
  40401: 'Check the view id, path, key id or command id (GET /api/v1/views lists the views).',
  40402: 'Open a new session with POST /api/v1/pipe/sessions and continue with it.',
  40901: 'Resolve the conflict named in the message (e.g. resend from details.expected_seq, or send the matching start first).',
  40801: 'Send the whole request promptly: headers within 20 s of connecting, the body within 120 s.',
  41301: 'Split the request into smaller batches or raise server.max_body_mb in fusion-config.yaml.',
  41501: "Send the body as JSON with the header 'Content-Type: application/json'.",
  43101: 'Send fewer or shorter headers (the API needs only X-API-Key or Authorization, and Content-Type).',
  42901: 'Wait for the number of seconds in Retry-After, or raise rate_limit_per_key_per_minute via PUT /api/v1/admin/config.',
  50001: 'Retry later; the details are in the Fusion log (logs/fusion.log).',
  50301: 'Wait until GET /readyz answers 200 (storage opening or server shutting down), then retry.',
  50701: "Free space on the file system holding storage.path (fusion.db and its -wal file); nothing acknowledged was lost: retry the request once /readyz answers 200.",
};

export class ValidationError extends ApiError {
  readonly field: string;
  constructor(field: string, problem: string) {
    super('VALIDATION', field ? `${field}: ${problem}` : problem, FIX_TEXTS[40001]!, field ? { field } : undefined);
    this.field = field;
  }
}
export class UnauthenticatedError extends ApiError {
  constructor(message = 'missing, unknown or revoked API key') {
    super('UNAUTHENTICATED', message, FIX_TEXTS[40101]!);
  }
}
export class ForbiddenError extends ApiError {
  constructor(message = "the key's role or views do not allow this") {
    super('FORBIDDEN', message, FIX_TEXTS[40301]!);
  }
}
export class NotLeaderError extends ApiError {
  constructor(message = 'this call is for the view leader; this session is a follower') {
    super('NOT_LEADER', message, FIX_TEXTS[40302]!);
  }
}
export class NotFoundError extends ApiError {
  constructor(message: string) {
    super('NOT_FOUND', message, FIX_TEXTS[40401]!);
  }
}
export class SessionExpiredError extends ApiError {
  constructor(sessionId: string) {
    super('SESSION_EXPIRED', `session '${sessionId}' is unknown or expired; create a new session`, FIX_TEXTS[40402]!);
  }
}
/** Also thrown by the view engine (e.g. audit/end without audit/start). */
export class ConflictError extends ApiError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CONFLICT', message, FIX_TEXTS[40901]!, details);
  }
}
export class PayloadTooLargeError extends ApiError {
  constructor(limitMb: number) {
    super('PAYLOAD_TOO_LARGE', `request body is over server.max_body_mb (${limitMb} MB)`, FIX_TEXTS[41301]!, { limit_mb: limitMb });
  }
}
export class UnsupportedMediaTypeError extends ApiError {
  constructor(got: string | undefined) {
    super('UNSUPPORTED_MEDIA_TYPE', `request body must be application/json (Content-Type: ${got ? `'${got}'` : 'none'})`, FIX_TEXTS[41501]!);
  }
}
/** The database could not grow: SQLITE_FULL or ENOSPC while committing. Nothing was acknowledged. */
export class DiskFullError extends ApiError {
  constructor(dbPath: string) {
    super('DISK_FULL', `the disk holding the database ${dbPath} is full; the request was not applied`, FIX_TEXTS[50701]!, { storage_path: dbPath });
  }
}
export class RateLimitedError extends ApiError {
  readonly retryAfterSec: number;
  constructor(retryAfterSec: number) {
    super('RATE_LIMITED', `rate limit exceeded; retry in ${retryAfterSec} s`, FIX_TEXTS[42901]!, { retry_after_sec: retryAfterSec });
    this.retryAfterSec = retryAfterSec;
  }
}
export class InternalError extends ApiError {
  constructor(message = 'internal error') {
    super('INTERNAL', message, FIX_TEXTS[50001]!);
  }
}
export class NotReadyError extends ApiError {
  constructor(message = 'not ready') {
    super('NOT_READY', message, FIX_TEXTS[50301]!);
  }
}

/** A broken fusion-config.yaml (or --config file): names the file, the key path and the fix (shared with the agent). */
export { ConfigError } from '@fustor/protocol';

/** A CLI-level failure with the exit code to use (3 = not running, per LSB status). */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** fusion.db cannot be used as it is (incompatible or damaged layout); the message says what to do. Fusion refuses to start rather than serve an empty view. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}
