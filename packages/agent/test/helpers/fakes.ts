// Test doubles: an in-memory Sender (fake Fusion client) and a scripted FsSource.

import type {
  Command, CommandsResponse, CreateSessionRequest, EventBatch, EventBatchResult, HeartbeatRequest, HeartbeatResponse,
  PrincipalsRequest, SentinelResult, SessionCreated, SessionRole, FileEvent, UpsertEvent,
} from '@fustor/protocol';
import { createLogger, type Logger } from '@fustor/protocol';
import { eventsChunk, type FsSource, type FsSourceOptions, type ScanChunk, type ScanOptions, type ScanProgress, type ScanRequest, type WatchCoverage, type RealtimeListener } from '@fustor/source-fs';
import type { PipeSpec } from '../../src/config/types.js';
import { FusionError, SessionExpiredError, TransportError } from '../../src/errors.js';
import type { PhaseName, Sender } from '../../src/senders/types.js';

export function quietLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', sink: (l) => lines.push(l) }) as Logger & { lines: string[] };
  log.lines = lines;
  return log;
}

export function upsert(path: string, extra: Partial<UpsertEvent> = {}): UpsertEvent {
  return { op: 'upsert', path, is_dir: false, size: 1, mtime_ms: 1000, ...extra };
}

export function makeSpec(over: { pipe?: Partial<PipeSpec['pipe']>; batchMax?: number } = {}): PipeSpec {
  return {
    agent_id: 'test-agent',
    pipe: {
      id: 'p1', source_id: 's1', sender_id: 'f1', enabled: true,
      audit_interval_sec: 0, sentinel_interval_sec: 0, session_timeout_sec: 30, spool_max_mb: 16,
      ...over.pipe,
    },
    source: {
      id: 's1', type: 'fs',
      config: { uri: '/fake', driver_params: { file_pattern: '*', exclude: [], write_settle_ms: 0, max_watched_dirs: 1000, realtime: true } },
    },
    sender: { id: 'f1', type: 'fusion', config: { endpoint: 'http://fake', credential: 'k', view: 'v', batch_max_events: over.batchMax ?? 1000, scan_batch_max_events: over.batchMax ?? 1000, timeout_ms: 1000 } },
    spool: { max_mb: 16, segment_mb: 1, fsync: 'rotate' },
  };
}

type Gen = (opts: ScanOptions | undefined) => AsyncIterable<UpsertEvent[]>;

/** A scripted source: snapshot/audit behaviour is replaceable per test, realtime is emitted by hand. */
export class FakeSource implements FsSource {
  readonly root = '/fake';
  readonly driftMs = 0;
  readonly options: FsSourceOptions;
  started = 0;
  closed = 0;
  clears = 0;
  snapshots = 0;
  audits = 0;
  auditsAborted = 0;
  sentinels: string[][] = [];
  #listeners = new Set<RealtimeListener>();
  snapshotImpl: Gen = async function* () {
    yield [upsert('/', { is_dir: true }), upsert('/a')];
    yield [upsert('/b')];
  };
  auditImpl: Gen = async function* () {
    yield [upsert('/', { is_dir: true, audit_skipped: true })];
  };
  scanImpl: (path: string, recursive: boolean) => AsyncIterable<UpsertEvent[]> = async function* (path) {
    yield [upsert(path)];
  };
  /** On-demand walks: every one started, and how many ran at once at most. */
  scansStarted: Array<{ path: string; recursive: boolean }> = [];
  scansRunning = 0;
  scansPeak = 0;

  constructor(options: FsSourceOptions) {
    this.options = options;
  }
  async start(): Promise<void> {
    this.started++;
  }
  async close(): Promise<void> {
    this.closed++;
  }
  now(): number {
    return Date.now();
  }
  onRealtime(listener: RealtimeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  emit(events: FileEvent[]): void {
    for (const l of this.#listeners) l(events);
  }
  coverage(): WatchCoverage {
    return { watchedDirs: 1, knownDirs: 1, canRealtime: true };
  }
  snapshot(opts?: ScanOptions): AsyncIterable<UpsertEvent[]> {
    this.snapshots++;
    return this.snapshotImpl(opts);
  }
  audit(opts?: ScanOptions): AsyncIterable<UpsertEvent[]> {
    this.audits++;
    const self = this;
    const inner = this.auditImpl(opts);
    return (async function* () {
      try {
        yield* inner;
      } finally {
        if (opts?.signal?.aborted) self.auditsAborted++;
      }
    })();
  }
  clearAuditCache(): void {
    this.clears++;
  }
  scanPath(viewPath: string, opts?: { recursive?: boolean }): AsyncIterable<UpsertEvent[]> {
    const recursive = opts?.recursive ?? true;
    this.scansStarted.push({ path: viewPath, recursive });
    this.scansRunning++;
    this.scansPeak = Math.max(this.scansPeak, this.scansRunning);
    const inner = this.scanImpl(viewPath, recursive);
    const self = this;
    return (async function* () {
      try {
        yield* inner;
      } finally {
        self.scansRunning--;
      }
    })();
  }
  /** Scripted chunks for scanListings (packed rows, say) instead of the scripted scans' events. */
  chunksImpl: ((scan: ScanRequest, opts?: ScanOptions) => AsyncIterable<ScanChunk>) | null = null;
  /** The scripted scans, each batch as a chunk (listings too when its events have a listing form). */
  scanListings(scan: ScanRequest, opts?: ScanOptions): AsyncIterable<ScanChunk> {
    if (this.chunksImpl !== null) return this.chunksImpl(scan, opts);
    const inner = scan.kind === 'snapshot' ? this.snapshot(opts) : scan.kind === 'audit' ? this.audit(opts) : this.scanPath(scan.path, { ...opts, recursive: scan.recursive });
    return (async function* () {
      for await (const events of inner) yield eventsChunk(events);
    })();
  }
  async sentinel(paths: string[]): Promise<SentinelResult[]> {
    this.sentinels.push(paths);
    return paths.map((p) => ({ path: p, exists: true, size: 1, mtime_ms: 1 }));
  }
  progress(): ScanProgress | null {
    return null;
  }
}

/** In-memory Fusion: sessions, roles, batch_seq checking, phase log, commands; failures are switchable. */
export class FakeSender implements Sender {
  readonly endpoint = 'http://fake';
  role: SessionRole = 'leader';
  heartbeatIntervalSec = 0.02;
  /** Everything throws TransportError while true (Fusion unreachable). */
  down = false;
  sessions: string[] = [];
  expired = new Set<string>();
  heartbeats = 0;
  heartbeatBodies: HeartbeatRequest[] = [];
  batches: Array<EventBatch & { session: string }> = [];
  log: string[] = [];
  /** On-demand deliveries and command answers in the order Fusion saw them: `batch <command_id>`, `done <id>`. */
  timeline: string[] = [];
  pending: Command[] = [];
  done: Array<{ id: string; ok: boolean; error: string | null }> = [];
  lastSeq = new Map<string, number>();
  openError: Error | null = null;
  /** Hook to fail specific event posts. */
  eventHook: ((batch: EventBatch) => Error | undefined) | null = null;
  closedSessions: string[] = [];
  /** Principals maps received, with the session they were posted to. */
  principals: Array<PrincipalsRequest & { session: string }> = [];
  /** Hook to fail principals posts. */
  principalsHook: ((body: PrincipalsRequest) => Error | undefined) | null = null;

  #check(sid?: string): void {
    if (this.down) throw new TransportError('http://fake', new Error('ECONNREFUSED'));
    if (sid && this.expired.has(sid)) throw new SessionExpiredError(sid);
  }
  async openSession(req: CreateSessionRequest): Promise<SessionCreated> {
    this.#check();
    if (this.openError) throw this.openError;
    const sid = `s${this.sessions.length + 1}`;
    this.sessions.push(sid);
    this.log.push(`open ${sid} ${req.pipe_id}`);
    return { session_id: sid, view: req.view ?? 'v', role: this.role, timeout_sec: 30, heartbeat_interval_sec: this.heartbeatIntervalSec, server_time_ms: Date.now() };
  }
  async heartbeat(sid: string, req: HeartbeatRequest): Promise<HeartbeatResponse> {
    this.#check(sid);
    this.heartbeats++;
    this.heartbeatBodies.push(req);
    const commands = this.pending;
    this.pending = [];
    return { role: this.role, timeout_sec: 30, commands };
  }
  async commands(sid: string, _waitMs: number, signal?: AbortSignal): Promise<CommandsResponse> {
    this.#check(sid);
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, 60);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    this.#check(sid);
    const commands = this.pending;
    this.pending = [];
    return { role: this.role, commands };
  }
  async postEvents(sid: string, batch: EventBatch): Promise<EventBatchResult> {
    this.#check(sid);
    const hooked = this.eventHook?.(batch);
    if (hooked) throw hooked;
    if ((batch.message_source === 'snapshot' || batch.message_source === 'audit') && this.role !== 'leader') {
      throw new FusionError(403, 40302, 'leader-only');
    }
    const last = this.lastSeq.get(sid) ?? -1;
    if (batch.batch_seq <= last) return { accepted: 0, ignored: 0, batch_seq: batch.batch_seq, duplicate: true };
    if (batch.batch_seq > last + 1) throw new FusionError(409, 40901, 'skip-ahead', { expected_seq: last + 1 });
    this.lastSeq.set(sid, batch.batch_seq);
    this.batches.push({ ...batch, session: sid });
    if (batch.command_id) this.timeline.push(`batch ${batch.command_id}`);
    return { accepted: batch.events.length, ignored: 0, batch_seq: batch.batch_seq, duplicate: false };
  }
  async phase(sid: string, phase: PhaseName, edge: 'start' | 'end', complete = true): Promise<void> {
    this.#check(sid);
    if (this.role !== 'leader') throw new FusionError(403, 40302, 'leader-only');
    this.log.push(edge === 'end' ? `${phase}/end ${complete}` : `${phase}/start`);
  }
  async sentinelTasks(sid: string): Promise<string[]> {
    this.#check(sid);
    this.log.push('sentinel/tasks');
    return ['/hot'];
  }
  async sentinelFeedback(sid: string, results: SentinelResult[]): Promise<void> {
    this.#check(sid);
    this.log.push(`sentinel/feedback ${results.length}`);
  }
  async commandDone(sid: string, commandId: string, ok: boolean, error: string | null): Promise<void> {
    this.#check(sid);
    this.done.push({ id: commandId, ok, error });
    this.timeline.push(`done ${commandId}`);
  }
  async postPrincipals(sid: string, body: PrincipalsRequest): Promise<void> {
    this.#check(sid);
    const err = this.principalsHook?.(body);
    if (err) throw err;
    this.principals.push({ ...body, session: sid });
  }
  async closeSession(sid: string): Promise<void> {
    this.closedSessions.push(sid);
  }
  async close(): Promise<void> {}

  /** Event paths delivered for a message source, in delivery order. */
  paths(source: string): string[] {
    return this.batches.filter((b) => b.message_source === source).flatMap((b) => b.events.map((e) => e.path));
  }
  count(entry: string): number {
    return this.log.filter((l) => l === entry).length;
  }
}
