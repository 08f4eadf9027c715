// Contract between the view engine (index + arbitration + store) and the HTTP/session layer.
// The engine is synchronous: better-sqlite3 commits inside the call, so when a method returns the
// change is durable and a 200 may be sent.

import type {
  BlindSpotKind,
  Freshness,
  FileEvent,
  MessageSource,
  Page,
  SearchQuery,
  SentinelResult,
  SessionRole,
  SortKey,
  TreeNode,
  ViewStats,
} from '@fustor/protocol';

export interface ViewConfig {
  id: string;
  hot_file_threshold_sec: number;
  tombstone_ttl_sec: number;
}

/** A session as persisted by the store, so a Fusion restart is invisible to agents. */
export interface SessionRecord {
  session_id: string;
  view: string;
  agent_id: string;
  pipe_id: string;
  key_id: string;
  role: SessionRole;
  timeout_sec: number;
  created_at_ms: number;
  last_heartbeat_ms: number;
  can_realtime: boolean;
  client_ip: string | null;
  /** Highest batch_seq applied; -1 before the first batch. */
  last_batch_seq: number;
  /** True once this session has begun its snapshot (once per session). */
  snapshot_started: boolean;
}

export interface ApplyContext {
  session_id: string;
  /** batch_seq to record for the session in the same transaction as the events. */
  batch_seq: number;
  command_id?: string | null;
}

export interface ApplyResult {
  accepted: number;
  ignored: number;
}

export interface TreeListOptions {
  depth: number;
  page: number;
  page_size: number;
  sort_by: SortKey;
  sort_order: 'asc' | 'desc';
  only_path: boolean;
}

/** Freshness as the engine knows it; can_realtime is a property of the live sessions. */
export type EngineFreshness = Omit<Freshness, 'can_realtime'>;
/** stats() of the engine: ViewStats without can_realtime (the server adds it). */
export type EngineStats = Omit<ViewStats, 'can_realtime'>;

export interface ViewCounters extends EngineFreshness {
  file_count: number;
  dir_count: number;
  total_size: number;
  suspect_count: number;
  blind_spot_count: number;
  tombstone_count: number;
  last_event_at_ms: number | null;
}

/** One view's materialized state. All mutating methods persist before returning. */
export interface ViewEngine {
  readonly id: string;
  readonly config: ViewConfig;
  /** Applies one validated batch under the arbitration rules of consistency.md §4. */
  applyBatch(source: MessageSource, events: readonly FileEvent[], ctx: ApplyContext): ApplyResult;
  /** Leader began its snapshot; `clearBlindSpots` when it is the first leader after a leader change. */
  snapshotStart(clearBlindSpots: boolean): void;
  snapshotEnd(complete: boolean): void;
  /** Opens the audit context (audit_started_at = physical now). Returns false if one was already open (it is restarted). */
  auditStart(): void;
  /** Missing-item detection when complete; tombstone expiry. Throws ConflictError without a matching start. */
  auditEnd(complete: boolean): { deleted: number };
  /** Suspect paths for the leader to re-check (oldest expiry first). */
  sentinelTasks(limit: number): string[];
  sentinelFeedback(results: readonly SentinelResult[]): { cleared: number; renewed: number; deleted: number };
  /** Processes due suspect expirations (called by a timer; also safe to call any time). */
  tick(): void;
  /** Empties the tree and all marks (admin reset). */
  reset(): void;

  /** null when the path does not exist. */
  tree(path: string, opts: TreeListOptions): TreeNode | null;
  stats(path: string): EngineStats | null;
  freshness(): EngineFreshness;
  counters(): ViewCounters;
  /** Logical "now" in the storage clock domain. */
  watermark(): number;
  suspects(page: number, pageSize: number, under?: string): Page<{ path: string; mtime_ms: number; expires_in_ms: number }>;
  blindSpots(kind: BlindSpotKind | undefined, page: number, pageSize: number): Page<{ path: string; kind: BlindSpotKind }>;
  /**
   * Glob search of protocol.md (added by the server half; optional until the engine implements it, else the route answers 404).
   * Asynchronous: a long search yields to the event loop between slices, so ingest and health checks keep running.
   */
  search?(query: SearchQuery): Promise<Page<TreeNode>>;
}

/** Owns the database and every view engine; also persists sessions. */
export interface ViewStore {
  view(id: string): ViewEngine | undefined;
  views(): ViewEngine[];
  /** Adds views that are new, updates thresholds of existing ones; removed views stop being served but keep their data. */
  configureViews(configs: readonly ViewConfig[]): void;
  saveSession(s: SessionRecord): void;
  deleteSession(sessionId: string): void;
  loadSessions(): SessionRecord[];
  /** Key/value for runtime settings and API keys created through the admin API. */
  getSetting<T>(key: string): T | undefined;
  setSetting(key: string, value: unknown): void;
  /** Checkpoints WAL and closes the database. */
  close(): void;
}

/** Clocks injected into the engine so tests can drive time; defaults are Date.now and performance.now. */
export interface EngineClocks {
  /** Physical wall clock, ms since epoch (tombstone TTL, last_confirmed_at, audit_started_at). */
  physical(): number;
  /** Monotonic clock, ms (suspect expiry). */
  monotonic(): number;
}

export interface OpenViewStoreOptions {
  /** SQLite file path, or ':memory:' in tests. */
  path: string;
  views: readonly ViewConfig[];
  clocks?: EngineClocks;
  /** 'full' fsyncs every commit (survives power loss); 'normal' survives process crashes only. */
  synchronous?: 'full' | 'normal';
  /** Structured log hook; the engine never writes to stdout/stderr itself. */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

// Implemented in ./open-view-store.ts:
//   export function openViewStore(opts: OpenViewStoreOptions): ViewStore
