// The one Sender interface pipes code against: Fusion's session, event and leader-duty calls.

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
import type { ListingBatchHead } from '@fustor/protocol/listing-codec';
import type { EncodedBatch } from './encode.js';

export type PhaseName = 'snapshot' | 'audit';

/**
 * Failures are thrown as FusionError (with the wire code), SessionExpiredError (40402) or
 * TransportError (unreachable). Implementations must not retry 4xx answers on their own.
 */
export interface Sender {
  readonly endpoint: string;
  openSession(req: CreateSessionRequest): Promise<SessionCreated>;
  heartbeat(sessionId: string, req: HeartbeatRequest, signal?: AbortSignal): Promise<HeartbeatResponse>;
  /** Long poll; resolves with an empty list after waitMs, rejects with AbortError when signal fires. */
  commands(sessionId: string, waitMs: number, signal?: AbortSignal): Promise<CommandsResponse>;
  postEvents(sessionId: string, batch: EventBatch, signal?: AbortSignal): Promise<EventBatchResult>;
  /**
   * Optional fast path: the same request with the events already encoded (see encode.ts). When a
   * sender has it, the outbox encodes scan chunks as they are written and posts through it.
   */
  postEncoded?(sessionId: string, batch: EncodedBatch, signal?: AbortSignal): Promise<EventBatchResult>;
  /**
   * Optional: a compact scan batch (docs/api.md), `listings` listings already packed in `chunks`
   * (encodeListings outputs). The outbox uses it only when Fusion chose 'listings+msgpack' for the session.
   */
  postListings?(sessionId: string, head: ListingBatchHead, chunks: readonly Buffer[], listings: number, signal?: AbortSignal): Promise<EventBatchResult>;
  phase(sessionId: string, phase: PhaseName, edge: 'start' | 'end', complete?: boolean, signal?: AbortSignal): Promise<void>;
  sentinelTasks(sessionId: string, signal?: AbortSignal): Promise<string[]>;
  sentinelFeedback(sessionId: string, results: SentinelResult[], signal?: AbortSignal): Promise<void>;
  commandDone(sessionId: string, commandId: string, ok: boolean, error: string | null, signal?: AbortSignal): Promise<void>;
  /** Names for the uids/gids this agent reports (consumers.md §1). */
  postPrincipals(sessionId: string, body: PrincipalsRequest, signal?: AbortSignal): Promise<void>;
  closeSession(sessionId: string): Promise<void>;
  close(): Promise<void>;
}

/** One HTTP exchange as the transport layer sees it (interceptors wrap functions of this type). */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** A body already serialized to JSON (takes precedence over `body`). */
  json?: string | Buffer;
  /** Content-Type of `json` when it is not JSON (a compact scan batch). */
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The envelope's `data` of a successful answer. */
export type HttpCall = (req: HttpRequest) => Promise<unknown>;
