// Public contract of the fs source driver; the agent codes against these types only.

import type { DeleteEvent, FileEvent, Listing, PackedRows, SentinelResult, UpsertEvent } from '@fustor/protocol';
import type { FsLayer } from './fs-layer.js';

export type { DeleteEvent, FileEvent, SentinelResult, UpsertEvent };
export type { FsLayer, LocalPath } from './fs-layer.js';

export interface FsSourceOptions {
  /** Absolute path of the watched root; resolved once through realpath so two mounts agree. */
  root: string;
  /** Glob on the file *name* (not directories); default '*'. */
  filePattern?: string;
  /** Globs on the view path (e.g. '** /.snapshot/**'); matching files and whole directories are skipped. */
  exclude?: string[];
  /** A file unchanged for this long is considered fully written; default 1000. */
  writeSettleMs?: number;
  /** Upper bound on watched directories; the most recently modified win; default 200000. */
  maxWatchedDirs?: number;
  /** false = scan-only mode (no watcher); default true. */
  realtime?: boolean;
  /** Concurrent directory reads during scans; default 16. */
  scanConcurrency?: number;
  /** Events per yielded batch from scans; default 1000. */
  batchSize?: number;
  /**
   * Realtime coalescing window: the first event after a quiet period is delivered on the next
   * event-loop turn, later ones at most this long after the previous delivery; default 2 ms.
   */
  coalesceMs?: number;
  /** Reporting hooks; the driver never logs on its own. */
  events?: SourceEventHandlers;
  /** Local wall clock (tests inject one); default Date.now. */
  clock?: () => number;
  /** Replaces individual fs calls (tests inject EACCES or races); default node:fs. */
  fs?: Partial<FsLayer>;
  /** Directories sampled by the drift probe at start (breadth-first from the root); default 2000. */
  driftSampleDirs?: number;
  /**
   * Worker threads doing readdir + lstat for snapshot and audit (0 = all on the main thread);
   * default 1 (it shares directories with the main thread). Not used when `fs` is injected.
   */
  scanWorkers?: number;
  /**
   * Realtime backend: 'native' (one inotify watch per directory; Linux) or 'chokidar' (the chokidar
   * library, loaded only when chosen); default 'native' on Linux, 'chokidar' elsewhere.
   */
  watcher?: WatcherKind;
}

export const WATCHER_KINDS = ['native', 'chokidar'] as const;
export type WatcherKind = (typeof WATCHER_KINDS)[number];

export const SOURCE_ISSUE_KINDS = [
  'permission_denied', // EACCES / EPERM
  'vanished', // ENOENT mid-scan (expected noise; reported at debug level by the agent)
  'symlink_loop', // ELOOP
  'name_too_long', // ENAMETOOLONG
  'too_many_open_files', // EMFILE / ENFILE (retried after a pause)
  'watch_limit', // inotify ENOSPC: watch exhaustion
  'invalid_name', // not valid UTF-8 or contains a newline: encoded per docs/source-fs.md
  'watch_error', // other watcher errors
  'root_lost', // the watched root was removed, moved away or replaced: realtime resumes when it exists again
  'io_error', // anything else, per path
] as const;
export type SourceIssueKind = (typeof SOURCE_ISSUE_KINDS)[number];

export interface SourceIssue {
  kind: SourceIssueKind;
  /** Local absolute path concerned. */
  path: string;
  /** errno code when there is one. */
  code?: string;
  message: string;
}

export interface ScanProgress {
  phase: 'snapshot' | 'audit' | 'on_demand';
  entriesScanned: number;
  dirsScanned: number;
  dirsPending: number;
  /** Audit only: directories reported with audit_skipped. */
  dirsSkipped?: number;
  startedAtMs: number;
  done: boolean;
  /** Problems reported through events.issue during this scan (each cause once). */
  issues?: number;
  /** Aborted through its AbortSignal before the end. */
  aborted?: boolean;
}

export interface WatchCoverage {
  watchedDirs: number;
  knownDirs: number;
  /** True only when every known directory is watched and no watch failed. */
  canRealtime: boolean;
}

export interface SourceEventHandlers {
  /** Called once per (kind, path) for each cause; the scan or watch continues. */
  issue?(issue: SourceIssue): void;
  progress?(p: ScanProgress): void;
  coverage?(c: WatchCoverage): void;
  /**
   * Realtime missed changes it cannot replay (the watched root was re-created and is watched again):
   * the caller should snapshot and audit now rather than wait for the next periodic audit.
   */
  rescanNeeded?(reason: string): void;
}

export interface ScanOptions {
  signal?: AbortSignal;
  /**
   * Snapshot and audit: rows may come packed by the native directory job (ScanChunk.packed), for a
   * caller that sends listings as MessagePack and so need not build them as values.
   */
  packedRows?: boolean;
}

export interface OnDemandOptions extends ScanOptions {
  recursive?: boolean;
}

/** Which scan scanListings runs. */
export type ScanRequest = { kind: 'snapshot' } | { kind: 'audit' } | { kind: 'on_demand'; path: string; recursive?: boolean };

/**
 * One batch of a scan. The source yields its entries as per-directory listings (protocol listings.ts:
 * no object per entry); `events` holds them as upsert events instead when some entry has no listing
 * form (test doubles, hand-made scans). `count` is the number of events either way.
 */
export interface ScanChunk {
  readonly listings: Listing[] | null;
  readonly events?: UpsertEvent[];
  readonly count: number;
  /**
   * Listings whose rows came packed (only when the scan was asked for them, ScanOptions.packedRows):
   * such a listing holds its head alone and its rows are these bytes. chunkEvents and encodeListings
   * take them into account; anything else reading `listings` must too.
   */
  readonly packed?: ReadonlyMap<Listing, PackedRows>;
}


/** Listener for realtime events; called with coalesced batches in observation order. */
export type RealtimeListener = (events: FileEvent[]) => void;

export interface FsSource {
  /** The resolved (realpath) root. Valid after start(). */
  readonly root: string;
  /** Drift of the storage clock vs. local time estimated at start (ms, added to local time). */
  readonly driftMs: number;
  /**
   * Resolves the root (throws SourceRootError when it is missing or not a readable directory),
   * probes clock drift, and starts the watcher when realtime is on. Call before any scan.
   */
  start(): Promise<void>;
  close(): Promise<void>;
  /** Local time + drift: the single clock stamped into every event's observed_at_ms. */
  now(): number;
  /** Realtime events (after start). Returns an unsubscribe function. */
  onRealtime(listener: RealtimeListener): () => void;
  /** Current realtime coverage; canRealtime is false in scan-only mode. */
  coverage(): WatchCoverage;
  /** Resolves once every planned watch is active (the native backend finishes them in the background after start()). */
  watchesSettled?(): Promise<void>;
  /** Full scan: every directory as its own upsert followed by its listed children. */
  snapshot(opts?: ScanOptions): AsyncIterable<UpsertEvent[]>;
  /** Audit with the directory-mtime cache (audit_skipped entries for unchanged directories). */
  audit(opts?: ScanOptions): AsyncIterable<UpsertEvent[]>;
  /** Forget directory mtimes so the next audit is full (new session / promotion). */
  clearAuditCache(): void;
  /**
   * snapshot(), audit() or scanPath() with their batches as listings (what the agent sends): the same
   * entries in the same order, without an object per entry.
   */
  scanListings(scan: ScanRequest, opts?: ScanOptions): AsyncIterable<ScanChunk>;
  /** Rescan one view path; throws OutsideRootError synchronously-on-first-next when it escapes the root. */
  scanPath(viewPath: string, opts?: OnDemandOptions): AsyncIterable<UpsertEvent[]>;
  /** Re-stat the given view paths. */
  sentinel(viewPaths: string[]): Promise<SentinelResult[]>;
  /** Progress of the scan currently running, if any. */
  progress(): ScanProgress | null;
}
