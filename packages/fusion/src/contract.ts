// Contract between the view engine (index + arbitration + store) and the HTTP/session layer.
// The engine is synchronous: better-sqlite3 commits inside the call, so when a method returns the
// change is durable and a 200 may be sent.

import type {
  BlindSpotKind,
  Freshness,
  FileEvent,
  HistogramBin,
  HistogramQuery,
  MessageSource,
  Page,
  SearchQuery,
  SentinelResult,
  SessionRole,
  SortKey,
  TopItem,
  TopQuery,
  TreeNode,
  UsageItem,
  UsageQuery,
  ViewStats,
} from '@fustor/protocol';
import type { ChangeRecord, CommittedChanges } from './changes/committed.js';
import type { SubscriptionEvent } from '@fustor/protocol';
import type { Labels } from './tree/node-meta.js';

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
  /** The sending session's agent: recorded as last_agent_id on the nodes the batch changes. */
  agent_id?: string;
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

/**
 * Told about every commit that wrote feed entries. `inTransaction` runs inside the commit's transaction
 * (synchronous; throwing aborts the commit), so what it writes is exactly as durable as the batch;
 * `committed` runs once the commit is durable (fan-out to live readers).
 */
export interface CommitListener {
  inTransaction?(view: ViewEngine, changes: CommittedChanges, tx: CommitTx): void;
  committed?(view: ViewEngine, changes: CommittedChanges): void;
}

/** Reading the change feed (consumers.md §4). */
export interface FeedBounds {
  /** Smallest `since` still answerable: every entry after it is kept. */
  oldest_since: number;
  /** Cursor of the newest entry (0 when none was ever written). */
  latest: number;
}

/** One view's materialized state. All mutating methods persist before returning. */
export interface ViewEngine {
  readonly id: string;
  readonly config: ViewConfig;
  /** Applies one validated batch under the arbitration rules of consistency.md §4. */
  /** `events` is walked once, in order; an element may be reused for the next one (the compact ingest path), so it is never kept. */
  applyBatch(source: MessageSource, events: Iterable<FileEvent>, ctx: ApplyContext): ApplyResult;
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
  /** Owner/group names an agent resolved for the ids it reports (consumers.md §1); returns how many were new or renamed. */
  setPrincipals(users: Readonly<Record<string, string>>, groups: Readonly<Record<string, string>>): { users: number; groups: number };
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
  /** Entries after `since`, at most `limit` accepted by `keep`, examining at most `maxScan`; `next` resumes past all examined. */
  changes(since: number, limit: number, keep: (r: ChangeRecord) => boolean, maxScan: number): Promise<{ records: ChangeRecord[]; next: number }>;
  /**
   * Settles once every change made so far is durable (SQLite: at once; PostgreSQL: when its queued commits
   * are written). A route answers 200 only after it resolved; a rejection means the view is being reloaded.
   */
  durable(): Promise<void>;
  feedBounds(): FeedBounds;
  /** Names the feed's codes (agent ids, owner/group names) with the view's labels. */
  readonly labels: Labels;
  /**
   * Glob search of protocol.md (added by the server half; optional until the engine implements it, else the route answers 404).
   * Asynchronous: a long search yields to the event loop between slices, so ingest and health checks keep running.
   */
  search?(query: SearchQuery): Promise<Page<TreeNode>>;
  // Reports (consumers.md §2). Each scans the subtree below `path` in slices and yields to the event
  // loop between them, so it is async; a path that does not exist rejects with NotFoundError.
  /** Files, directories, bytes and newest mtime per owner or group, by total_size descending. */
  usage(query: UsageQuery): Promise<Page<UsageItem>>;
  /** The `limit` largest / newest / oldest files, or directories by subtree size or newest change. */
  top(query: TopQuery): Promise<TopItem[]>;
  /** Log2 bins of file sizes or ages. */
  histogram(query: HistogramQuery): Promise<HistogramAnswer>;
}

export interface HistogramAnswer {
  path: string;
  of: 'size' | 'age';
  /** The storage-clock "now" ages are measured from. */
  watermark_ms: number;
  file_count: number;
  total_size: number;
  bins: HistogramBin[];
}

// ---- subscriptions storage (consumers.md §5) --------------------------------------------------

export interface SubscriptionRow {
  id: string;
  view: string;
  name: string;
  path: string;
  pattern: string | null;
  on: SubscriptionEvent[];
  granularity: 'child' | 'path';
  url: string;
  secret: string;
  retry_hours: number;
  created_at: number;
}

export interface DeliveryRow {
  id: string;
  sub_id: string;
  event: string;
  path: string;
  /** JSON of the body without delivered_at_ms (stamped per attempt). */
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_at: number;
  created_at: number;
  expires_at: number;
  last_status: number | null;
  last_error: string | null;
  done_at: number | null;
}

export interface AttemptRow {
  delivery_id: string;
  at: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** A delivery queued by a commit hook (the rest of its row is derived). */
export type NewDelivery = Pick<DeliveryRow, 'id' | 'sub_id' | 'event' | 'path' | 'payload' | 'next_at' | 'created_at' | 'expires_at'>;

/** Rows a commit hook adds to the commit (written in the same transaction as the batch). */
export interface CommitTx {
  addPending(subId: string, path: string, cursor: number): void;
  enqueueDelivery(d: NewDelivery): void;
}

/**
 * Durable subscriptions, pending subtrees and the delivery queue. Asynchronous (PostgreSQL); the writes a
 * commit makes (pending subtrees, file-event deliveries) go through its CommitTx instead, inside its transaction.
 */
export interface SubscriptionStore {
  all(): Promise<SubscriptionRow[]>;
  insert(r: SubscriptionRow): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Subtrees to watch outside any commit (a new subscription arming folders still being written). */
  addPendingKeys(subId: string, paths: readonly string[], cursor: number): Promise<void>;
  dropPending(subId: string, path: string): Promise<void>;
  pending(): Promise<Array<{ sub_id: string; path: string; cursor: number }>>;
  /** Queues a delivery and drops the pending subtree it settles, in one transaction (a `stable` verdict). */
  enqueueSettled(d: NewDelivery, pending: { subId: string; path: string } | null): Promise<void>;
  /** Due deliveries of the given subscriptions. */
  due(now: number, limit: number, subIds: readonly string[]): Promise<DeliveryRow[]>;
  nextDue(subIds: readonly string[]): Promise<number | null>;
  recordAttempt(d: DeliveryRow, a: AttemptRow): Promise<void>;
  recent(subId: string, limit: number, offset: number): Promise<{ items: DeliveryRow[]; total: number }>;
  pendingDeliveries(subIds: readonly string[]): Promise<number>;
  pendingSubtrees(subId: string): Promise<number>;
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
  readonly subscriptions: SubscriptionStore;
  /** Adds a listener to every view's commits (present and future); returns its removal. */
  addCommitListener(l: CommitListener): () => void;
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
  /** Change-feed retention (fusion-config.yaml `feed:`); default 10,000,000 entries and 720 hours per view. */
  feedRetention?: { entries: number; hours: number };
  /** Structured log hook; the engine never writes to stdout/stderr itself. */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** WAL checkpoints in a worker thread (store/wal-checkpointer.ts); default true for a file. */
  backgroundCheckpoints?: boolean;
}

// Implemented in ./open-view-store.ts:
//   export function openViewStore(opts: OpenViewStoreOptions): ViewStore
