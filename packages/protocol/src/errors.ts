// Wire error codes of protocol.md, declared once; agent and Fusion both map onto this table.

export const ERROR_CODES = {
  VALIDATION: { code: 40001, http: 400, title: 'invalid request' },
  UNAUTHENTICATED: { code: 40101, http: 401, title: 'missing, unknown or revoked API key' },
  FORBIDDEN: { code: 40301, http: 403, title: "the key's role or views do not allow this" },
  NOT_LEADER: { code: 40302, http: 403, title: 'leader-only call from a follower session' },
  NOT_FOUND: { code: 40401, http: 404, title: 'view, path, key or command not found' },
  SESSION_EXPIRED: { code: 40402, http: 404, title: 'session unknown or expired: create a new session' },
  CONFLICT: { code: 40901, http: 409, title: 'conflict with the current state' },
  REQUEST_TIMEOUT: { code: 40801, http: 408, title: 'request headers or body not received in time' },
  PAYLOAD_TOO_LARGE: { code: 41301, http: 413, title: 'body over server.max_body_mb' },
  UNSUPPORTED_MEDIA_TYPE: { code: 41501, http: 415, title: 'request body is not application/json' },
  HEADERS_TOO_LARGE: { code: 43101, http: 431, title: 'request headers over the server limit' },
  RATE_LIMITED: { code: 42901, http: 429, title: 'rate limit exceeded' },
  INTERNAL: { code: 50001, http: 500, title: 'internal error' },
  NOT_READY: { code: 50301, http: 503, title: 'not ready' },
  DISK_FULL: { code: 50701, http: 507, title: "the disk holding Fusion's database is full" },
} as const;

export type ErrorName = keyof typeof ERROR_CODES;
export type ErrorCode = (typeof ERROR_CODES)[ErrorName]['code'];

const BY_CODE = new Map<number, ErrorName>(
  (Object.keys(ERROR_CODES) as ErrorName[]).map((name) => [ERROR_CODES[name].code, name]),
);

/** Looks up the symbolic name of a numeric wire code (undefined for codes this version does not know). */
export function errorNameOf(code: number): ErrorName | undefined {
  return BY_CODE.get(code);
}

/** Raised by validators in this package; `field` is the dotted/indexed path of the offending value. */
export class ProtocolValidationError extends Error {
  readonly code = ERROR_CODES.VALIDATION.code;
  readonly field: string;
  constructor(field: string, problem: string) {
    super(field ? `${field}: ${problem}` : problem);
    this.name = 'ProtocolValidationError';
    this.field = field;
  }
}
