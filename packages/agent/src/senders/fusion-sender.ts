// Sender implementation over Fusion's HTTP API (protocol.md), built from the undici transport plus interceptors.

import type {
  CommandsResponse,
  CreateSessionRequest,
  EventBatch,
  EventBatchResult,
  HeartbeatRequest,
  HeartbeatResponse,
  PrincipalsRequest,
  SentinelResult,
  SessionCreated,
} from '@fustor/protocol';
import { API_BASE, clampWireTime, LISTINGS_CONTENT_TYPE } from '@fustor/protocol';
import { listingBatchBody, type ListingBatchHead } from '@fustor/protocol/listing-codec';
import { FusionError, SessionExpiredError } from '../errors.js';
import { encodedBatchBody, type EncodedBatch } from './encode.js';
import { failover } from './failover.js';
import { createHttpTransport } from './http.js';
import { compose, rateLimit, transientRetry } from './interceptors.js';
import type { HttpCall, HttpRequest, PhaseName, Sender } from './types.js';

export interface FusionSenderOptions {
  /** One Fusion, or every node of a cluster (calls fail over between them). */
  endpoint: string | readonly string[];
  credential: string;
  timeoutMs?: number;
  userAgent?: string;
  onRateLimited?: (waitMs: number) => void;
  /** A node could not be reached (or was not ready): the next calls go to another one. */
  onFailover?: (from: string, to: string, err: unknown) => void;
}

export class FusionSender implements Sender {
  readonly endpoint: string;
  readonly #call: HttpCall;
  readonly #close: () => Promise<void>;
  readonly #timeoutMs: number;

  constructor(opts: FusionSenderOptions) {
    const endpoints = typeof opts.endpoint === 'string' ? [opts.endpoint] : [...opts.endpoint];
    this.endpoint = endpoints.join(', ');
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    const transports = endpoints.map((endpoint) =>
      createHttpTransport({ endpoint, credential: opts.credential, timeoutMs: opts.timeoutMs ?? 30_000, userAgent: opts.userAgent }),
    );
    const call = failover(
      transports.map((t) => t.call),
      (from, to, err) => opts.onFailover?.(endpoints[from]!, endpoints[to]!, err),
    );
    // Retries wrap the failover, so a retry after a node failure already goes to the next node.
    this.#call = compose(rateLimit({ onWait: opts.onRateLimited }), transientRetry())(call);
    this.#close = async () => {
      await Promise.all(transports.map((t) => t.close()));
    };
  }

  async #session<T>(sessionId: string, req: HttpRequest): Promise<T> {
    try {
      return (await this.#call(req)) as T;
    } catch (err) {
      if (err instanceof FusionError && err.code === 40402) throw new SessionExpiredError(sessionId);
      throw err;
    }
  }

  #s(sessionId: string, suffix = ''): string {
    return `${API_BASE}/pipe/sessions/${encodeURIComponent(sessionId)}${suffix}`;
  }

  async openSession(req: CreateSessionRequest): Promise<SessionCreated> {
    return (await this.#call({ method: 'POST', path: `${API_BASE}/pipe/sessions`, body: req })) as SessionCreated;
  }

  heartbeat(sessionId: string, req: HeartbeatRequest, signal?: AbortSignal): Promise<HeartbeatResponse> {
    // Bounded well below the heartbeat interval's scale so a hung request cannot cost the session.
    return this.#session(sessionId, { method: 'POST', path: this.#s(sessionId, '/heartbeat'), body: req, timeoutMs: Math.min(this.#timeoutMs, 10_000), signal });
  }

  commands(sessionId: string, waitMs: number, signal?: AbortSignal): Promise<CommandsResponse> {
    return this.#session(sessionId, {
      method: 'GET',
      path: this.#s(sessionId, `/commands?wait_ms=${Math.round(waitMs)}`),
      timeoutMs: waitMs + 15_000,
      signal,
    });
  }

  postEvents(sessionId: string, batch: EventBatch, signal?: AbortSignal): Promise<EventBatchResult> {
    return this.#session(sessionId, { method: 'POST', path: this.#s(sessionId, '/events'), body: batch, signal });
  }

  postEncoded(sessionId: string, batch: EncodedBatch, signal?: AbortSignal): Promise<EventBatchResult> {
    return this.#session(sessionId, { method: 'POST', path: this.#s(sessionId, '/events'), json: encodedBatchBody(batch), signal });
  }

  postListings(sessionId: string, head: ListingBatchHead, chunks: readonly Buffer[], listings: number, signal?: AbortSignal): Promise<EventBatchResult> {
    return this.#session(sessionId, {
      method: 'POST', path: this.#s(sessionId, '/events'), json: listingBatchBody(head, chunks, listings), contentType: LISTINGS_CONTENT_TYPE, signal,
    });
  }

  async phase(sessionId: string, phase: PhaseName, edge: 'start' | 'end', complete = true, signal?: AbortSignal): Promise<void> {
    await this.#session(sessionId, { method: 'POST', path: this.#s(sessionId, `/${phase}/${edge}`), body: { complete }, signal });
  }

  async sentinelTasks(sessionId: string, signal?: AbortSignal): Promise<string[]> {
    const data = await this.#session<{ paths?: string[] }>(sessionId, { method: 'GET', path: this.#s(sessionId, '/sentinel/tasks'), signal });
    return data?.paths ?? [];
  }

  async sentinelFeedback(sessionId: string, results: SentinelResult[], signal?: AbortSignal): Promise<void> {
    // times outside the protocol's window are clamped into it, as for events (encode.ts)
    const bounded = results.map((r) => (r.mtime_ms === undefined ? r : { ...r, mtime_ms: clampWireTime(r.mtime_ms) }));
    await this.#session(sessionId, { method: 'POST', path: this.#s(sessionId, '/sentinel/feedback'), body: { results: bounded }, signal });
  }

  async commandDone(sessionId: string, commandId: string, ok: boolean, error: string | null, signal?: AbortSignal): Promise<void> {
    await this.#session(sessionId, {
      method: 'POST',
      path: this.#s(sessionId, `/commands/${encodeURIComponent(commandId)}/done`),
      body: { ok, error },
      signal,
    });
  }

  async postPrincipals(sessionId: string, body: PrincipalsRequest, signal?: AbortSignal): Promise<void> {
    await this.#session(sessionId, { method: 'POST', path: this.#s(sessionId, '/principals'), body, signal });
  }

  async closeSession(sessionId: string): Promise<void> {
    await this.#session(sessionId, { method: 'DELETE', path: this.#s(sessionId), timeoutMs: 2000 });
  }

  close(): Promise<void> {
    return this.#close();
  }
}
