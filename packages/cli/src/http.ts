// HTTP to Fusion over undici: unwraps the envelope, and turns every failure into a CliError with the exit code of its kind.

import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { API_BASE, type Envelope } from '@fustor/protocol';
import { CliError, EXIT, type ExitCode } from './errors.js';

export type Query = Record<string, string | number | boolean | undefined | null>;

/** Socket-level failures: Fusion is down, unreachable, or the connection broke. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
]);

export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return UNREACHABLE_CODES.has(e?.code ?? '') || UNREACHABLE_CODES.has(e?.cause?.code ?? '');
}

function exitFor(status: number): ExitCode {
  if (status === 400) return EXIT.USAGE;
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 503) return EXIT.UNREACHABLE;
  return EXIT.SERVER;
}

const HINTS: Partial<Record<ExitCode, string>> = {
  [EXIT.AUTH]: 'check the key (--key, FUSTOR_KEY or client.yaml): it needs role read on this view',
  [EXIT.UNREACHABLE]: 'is Fusion running there? (fustor-fusion status; --url or FUSTOR_URL)',
};

/** An error answer: the API's own message, with the exit code of its kind. */
export class ApiAnswerError extends CliError {
  constructor(
    readonly status: number,
    readonly apiCode: number | null,
    message: string,
    readonly details: Record<string, unknown> | undefined,
  ) {
    const code = exitFor(status);
    super(message, code, HINTS[code]);
  }
}

export function queryString(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export class FusionHttp {
  readonly #agent = new Agent({ connect: { timeout: 10_000 }, headersTimeout: 60_000, bodyTimeout: 60_000 });

  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  #unreachable(err: unknown): CliError {
    if (err instanceof CliError) return err;
    const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
    const why = e.cause?.code ?? e.code ?? e.message;
    return new CliError(`cannot reach Fusion at ${this.baseUrl}: ${why}`, isUnreachable(err) ? EXIT.UNREACHABLE : EXIT.SERVER, HINTS[EXIT.UNREACHABLE]);
  }

  /** GET {API_BASE}{path}?query → the envelope's data. */
  async get<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
    let status: number;
    let text: string;
    try {
      const res = await request(`${this.baseUrl}${API_BASE}${path}${queryString(query)}`, {
        method: 'GET',
        dispatcher: this.#agent,
        headers: { 'x-api-key': this.key, accept: 'application/json' },
        signal,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      if (signal?.aborted) throw err;
      throw this.#unreachable(err);
    }
    return this.#unwrap<T>(status, text);
  }

  /** The data of a success envelope; anything else throws (so with a non-200 status it never returns). */
  #unwrap<T>(status: number, text: string): T {
    let body: Envelope<T> | null = null;
    try {
      body = JSON.parse(text) as Envelope<T>;
    } catch {
      // not JSON: a proxy or something that is not Fusion answered
    }
    if (status === 200 && body && body.code === 0) return body.data as T;
    if (!body || typeof body.message !== 'string') {
      throw new CliError(`unexpected answer from ${this.baseUrl} (HTTP ${status}): ${text.slice(0, 200)}`, exitFor(status) === EXIT.USAGE ? EXIT.SERVER : exitFor(status));
    }
    throw new ApiAnswerError(status, typeof body.code === 'number' ? body.code : null, body.message, body.details);
  }

  /** Opens a Server-Sent Events answer; an error answer throws like get() does. */
  async openStream(path: string, query: Query, headers: Record<string, string>, signal: AbortSignal): Promise<Readable> {
    let res;
    try {
      res = await request(`${this.baseUrl}${API_BASE}${path}${queryString(query)}`, {
        method: 'GET',
        dispatcher: this.#agent,
        headers: { 'x-api-key': this.key, accept: 'text/event-stream', ...headers },
        // keepalive comments come at least every 15 s: silence this long means a dead connection
        bodyTimeout: 45_000,
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      throw this.#unreachable(err);
    }
    if (res.statusCode !== 200) {
      this.#unwrap(res.statusCode, await res.body.text());
    }
    if (!String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
      await res.body.dump();
      throw new CliError(`${this.baseUrl} answered ${path} without an event stream`, EXIT.SERVER);
    }
    return res.body;
  }

  async close(): Promise<void> {
    await this.#agent.destroy();
  }
}
