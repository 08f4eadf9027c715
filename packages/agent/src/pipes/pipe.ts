// One pipe's runtime: source → realtime queue/spool → session outbox. Opens sessions (pipe-session.ts:
// heartbeat, commands, roles) one after another, owes re-snapshots after lost events, and answers its
// status (counters in pipe-report.ts). Never exits on a data-plane error: it logs, reports and retries.

import { join } from 'node:path';
import type { HeartbeatRequest, Logger, SessionCreated } from '@fustor/protocol';
import type { FsSource, FsSourceOptions } from '@fustor/source-fs';
import { abortableSleep, Backoff, type BackoffOptions } from '../common/backoff.js';
import type { PipeSpec } from '../config/types.js';
import type { OutboxHooks } from '../senders/outbox.js';
import type { Sender } from '../senders/types.js';
import { RealtimeQueue, type SpoolLoss } from '../spool/realtime-queue.js';
import { Spool } from '../spool/spool.js';
import type { SpoolFs } from '../spool/spool-fs.js';
import { principalsReporter, type PrincipalsDeps, type PrincipalsReporter } from '../principals/reporter.js';
import { openSession } from './open-session.js';
import { PipeReport } from './pipe-report.js';
import { PipeSession, type SessionHost } from './pipe-session.js';
import { SnapshotDebt } from './roles.js';
import { ScanQueue } from './scan-queue.js';
import { sourceOptions } from './source-options.js';
import { heartbeatStats, progressOf, safely, type PipePhase, type PipeState, type PipeStatus } from './status.js';

/** Longest a start waits to close a session it opened and did not use (see #discard). */
const DISCARD_WAIT_MS = 2000;

export const AGENT_VERSION = '0.1.0';

export interface PipeDeps {
  createSource(opts: FsSourceOptions): FsSource;
  createSender(spec: PipeSpec): Sender;
  /** agent-state directory; the pipe keeps its spool in <stateDir>/<pipe id>/spool. */
  stateDir: string;
  log: Logger;
  backoff?: BackoffOptions;
  /** Long-poll wait for commands (protocol max 60000). */
  commandWaitMs?: number;
  /** Events kept in memory before spilling to the spool while online. */
  memoryLimit?: number;
  /** On-demand scans walking at once (the rest wait in the pipe's queue); default 2. */
  scanConcurrency?: number;
  /** The spool's file calls (tests inject a full disk). */
  spoolFs?: SpoolFs;
  /** Owner/group name reporting (tests inject a resolver); default: one resolver shared by the process's pipes. */
  principals?: PrincipalsDeps;
}

export class Pipe {
  readonly spec: PipeSpec;
  readonly #d: PipeDeps;
  readonly #log: Logger;
  readonly #source: FsSource;
  readonly #sender: Sender;
  readonly #spool: Spool;
  readonly #queue: RealtimeQueue;
  readonly #scans: ScanQueue;
  readonly #debt = new SnapshotDebt();
  readonly #report: PipeReport;
  readonly #principals: PrincipalsReporter;
  readonly #stopCtl = new AbortController();
  readonly #startedAt = Date.now();
  #run: Promise<void> | null = null;
  #session: PipeSession | null = null;
  #lastView: string | null = null;
  #stopped = false;
  #stopping = false;
  #sourceFailed = false;
  #connectAttempts = 0;
  #unsubscribe: (() => void) | null = null;
  #phase: PipePhase = 'idle';

  constructor(spec: PipeSpec, deps: PipeDeps) {
    this.spec = spec;
    this.#d = deps;
    this.#log = deps.log.child({ pipe: spec.pipe.id });
    this.#report = new PipeReport(this.#log);
    this.#source = deps.createSource(
      sourceOptions(spec, this.#log, {
        rootLost: (message) => this.#error(new Error(message), 'source: realtime stopped (the watched root is gone)'),
        rescanNeeded: (reason) => this.#onSourceReset(reason),
      }),
    );
    this.#sender = deps.createSender(spec);
    this.#principals = principalsReporter(this.#sender, deps.principals, this.#log, (err, context) => this.#error(err, context));
    this.#spool = new Spool({
      dir: join(deps.stateDir, spec.pipe.id, 'spool'),
      maxBytes: Math.round(spec.pipe.spool_max_mb * 1024 * 1024),
      segmentBytes: Math.round(spec.spool.segment_mb * 1024 * 1024),
      fsync: spec.spool.fsync,
      fs: deps.spoolFs,
    });
    if (this.#spool.events > 0) this.#log.info('spool holds undelivered events from a previous run', { events: this.#spool.events });
    this.#queue = new RealtimeQueue({
      spool: this.#spool,
      memoryLimit: deps.memoryLimit,
      onLoss: (loss) => this.#onLoss(loss),
      onWritable: () => this.#log.info('the spool writes again', { spool_dir: this.#spool.dir }),
    });
    this.#scans = new ScanQueue(deps.scanConcurrency);
  }

  get id(): string {
    return this.spec.pipe.id;
  }

  start(): void {
    this.#run ??= this.#main().catch((err) => this.#error(err, 'pipe runtime (unexpected)'));
  }

  /** Graceful stop: flush within the deadline, spool the rest, close the session. */
  async stop(flushDeadlineMs = 5000): Promise<void> {
    if (this.#stopping) return this.#run ?? undefined;
    this.#stopping = true;
    // Close the source before unsubscribing: whatever it flushes while closing is still queued.
    await this.#source.close().catch((err) => this.#error(err, 'closing source'));
    this.#unsubscribe?.();
    this.#session?.roles.cancel();
    const until = Date.now() + flushDeadlineMs;
    while (this.#queue.depth > 0 && this.#session?.outbox.online && Date.now() < until) {
      await abortableSleep(20);
    }
    this.#stopCtl.abort();
    this.#principals.close();
    await this.#run;
    this.#queue.spill();
    this.#spool.close();
    await this.#sender.close().catch(() => undefined);
    this.#stopped = true;
    this.#log.info('pipe stopped', { spooled_events: this.#spool.events });
  }

  get state(): PipeState {
    if (this.#stopped || this.#stopping) return 'stopped';
    const s = this.#session;
    if (!s) {
      if (this.#sourceFailed) return 'degraded';
      return this.#connectAttempts <= 1 && this.#report.sessions === 0 ? 'starting' : 'reconnecting';
    }
    if (!s.outbox.online || !s.heartbeatOk || this.#sourceFailed || !s.role) return 'degraded';
    return s.role;
  }

  status(): PipeStatus {
    const s = this.#session;
    const progress = safely(() => progressOf(this.#source.progress()), null);
    const coverage = safely(() => this.#source.coverage().canRealtime, false);
    return {
      id: this.id,
      state: this.state,
      role: s?.role ?? null,
      session_id: s?.id ?? null,
      view: s?.view ?? this.#lastView,
      source_uri: this.spec.source.config.uri,
      endpoint: [this.spec.sender.config.endpoint].flat().join(', '),
      started_at_ms: this.#startedAt,
      heartbeat_interval_sec: s ? s.heartbeatMs / 1000 : null,
      phase: this.#phase,
      progress,
      can_realtime: coverage,
      spool: {
        events: this.#spool.events,
        bytes: this.#spool.bytes,
        max_bytes: this.#spool.maxBytes,
        overflows: this.#report.overflows,
        write_failures: this.#report.writeFailures,
        writable: !this.#queue.spoolFailing,
        dropped_events: this.#report.dropped,
      },
      queue_depth: this.#queue.depth,
      on_demand: this.#scans.stats(),
      resnapshot_pending: this.#debt.pending,
      ...this.#report.fields(),
    };
  }

  // ---- main loop ------------------------------------------------------------------------------

  async #main(): Promise<void> {
    const stop = this.#stopCtl.signal;
    const bo = new Backoff(this.#d.backoff);
    // The first session opens while the source starts (census, watches): neither needs the other, and
    // both precede the first batch (P3 start-up, docs/benchmarks.md). It is used only once the source
    // has started, so realtime still starts before any snapshot (consistency.md §7). Its request could
    // not know the watches' coverage yet (can_realtime false), so its first heartbeat goes at once.
    // It counts as a connection attempt when it is used (status: 'starting' until a second one).
    let early: Promise<SessionCreated> | null = this.#openSession();
    early.catch(() => undefined); // reported where it is awaited
    let sourceRetried = false;
    while (!stop.aborted) {
      try {
        await this.#source.start();
        this.#sourceFailed = false;
        break;
      } catch (err) {
        this.#sourceFailed = true;
        sourceRetried = true;
        this.#error(err, 'starting source');
        await abortableSleep(bo.next(), stop).catch(() => undefined);
      }
    }
    // A session that waited, without heartbeats, through the source's retries (or a stop) is closed
    // before anything else: left open, it would hold the view's leadership until it times out.
    if (early && (sourceRetried || stop.aborted)) {
      await this.#discard(early);
      early = null;
    }
    if (stop.aborted) return;
    // Realtime starts before any snapshot so nothing falls between (consistency.md §7).
    this.#unsubscribe = this.#source.onRealtime((events) => this.#queue.push(events, this.#online()));
    if (this.#stopping) this.#unsubscribe();
    bo.reset();
    while (!stop.aborted) {
      this.#connectAttempts++;
      const opening = early ?? this.#openSession();
      const openedEarly = early !== null;
      early = null;
      let created: SessionCreated;
      try {
        created = await opening;
      } catch (err) {
        if (stop.aborted) break;
        this.#error(err, 'opening session');
        await abortableSleep(bo.next(), stop).catch(() => undefined);
        continue;
      }
      bo.reset();
      const reason = await this.#runSession(created, openedEarly);
      if (reason === 'stopped') break;
      // 'expired': Fusion forgot the session; a new one at once, no backoff.
    }
  }

  #openSession(): Promise<SessionCreated> {
    return openSession(this.#sender, {
      agent_id: this.spec.agent_id,
      pipe_id: this.id,
      ...(this.spec.sender.config.view ? { view: this.spec.sender.config.view } : {}),
      source_uri: this.spec.source.config.uri,
      session_timeout_sec: this.spec.pipe.session_timeout_sec,
      can_realtime: this.#canRealtime(),
      agent_version: AGENT_VERSION,
    });
  }

  /** Closes a session opened for a start that did not use it: best effort, waiting at most DISCARD_WAIT_MS (Fusion expires it anyway). */
  async #discard(opening: Promise<SessionCreated>): Promise<void> {
    const closing = opening.then((s) => this.#sender.closeSession(s.session_id)).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closing, new Promise<void>((r) => (timer = setTimeout(r, DISCARD_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** `beatAtOnce`: the session was opened before the source started, so Fusion has yet to hear its coverage. */
  async #runSession(created: SessionCreated, beatAtOnce = false): Promise<'expired' | 'stopped'> {
    const s = new PipeSession(this.#sessionHost(), created);
    this.#session = s;
    this.#lastView = s.view;
    this.#report.sessions++;
    this.#report.lastHeartbeatMs = Date.now();
    this.#log.info('session opened', { session_id: s.id, view: s.view, role: created.role, heartbeat_interval_sec: s.heartbeatMs / 1000 });
    // A new session starts with a cold audit cache: its first audit is full (consistency.md §1).
    this.#source.clearAuditCache();
    this.#principals.sessionOpened(s.id, s.signal);
    const reason = await s.run(created.role, { beatAtOnce });
    this.#session = null;
    if (reason === 'stopped') {
      await this.#sender.closeSession(s.id).catch((err) => this.#log.debug('closing session failed', { error: String(err) }));
    }
    return reason;
  }

  #online(): boolean {
    return !!this.#session && this.#session.outbox.online && !this.#stopping;
  }

  #canRealtime(): boolean {
    return safely(() => this.#source.coverage().canRealtime, false);
  }

  /** The one owed re-snapshot path (resnapshot command, lost events): the leader snapshots as soon as it can. */
  #requestResnapshot(withAudit = false): void {
    this.#debt.request(withAudit);
    this.#session?.roles.kick();
  }

  // ---- what a session uses of its pipe -----------------------------------------------------------

  #sessionHost(): SessionHost {
    return {
      spec: this.spec,
      source: this.#source,
      sender: this.#sender,
      log: this.#log,
      backoff: this.#d.backoff,
      debt: this.#debt,
      queue: this.#queue,
      scans: this.#scans,
      commandWaitMs: this.#d.commandWaitMs ?? 25_000,
      stopSignal: this.#stopCtl.signal,
      outboxHooks: this.#outboxHooks(),
      stopping: () => this.#stopping,
      setPhase: (phase) => (this.#phase = phase),
      scanFinished: (kind, complete) => this.#report.scanFinished(kind, complete),
      heartbeatBody: (): HeartbeatRequest => {
        this.#queue.recheckSpool();
        return {
          can_realtime: this.#canRealtime(),
          phase: this.#phase === 'idle' ? 'realtime' : this.#phase,
          stats: this.#heartbeatStats(),
        };
      },
      heartbeatAnswered: () => (this.#report.lastHeartbeatMs = Date.now()),
      requestResnapshot: () => this.#requestResnapshot(),
      error: (err, context) => this.#error(err, context),
    };
  }

  #outboxHooks(): OutboxHooks {
    return {
      online: (online) => {
        if (!online) {
          this.#queue.spill();
          this.#log.warn('Fusion is not accepting events; spooling realtime events to disk', { spool_events: this.#spool.events });
        } else {
          this.#log.info('Fusion accepts events again; delivering the spool in order', { spool_events: this.#spool.events });
        }
      },
      sent: (source, n, result) => this.#report.sent(source, n, result),
      rejected: (source, n, err) => this.#report.rejected(source, n, err),
      error: (err, context) => this.#error(err, context),
      observe: (events) => this.#principals.observe(events),
      observeListings: (listings, packed) => this.#principals.observeListings(listings, packed),
    };
  }

  // ---- lost events -------------------------------------------------------------------------------

  /** Spool bound hit, or the disk refused a write: count the loss, owe a snapshot and a full audit. */
  #onLoss(loss: SpoolLoss): void {
    // Lost events may include deletions, which a snapshot cannot see: follow it with a full audit.
    this.#source.clearAuditCache();
    this.#requestResnapshot(true);
    const role = this.#session?.role;
    const then = role === 'leader' || !role
      ? 'the pipe re-snapshots as soon as it is leader and connected'
      : "as follower: the leader's next audit covers the lost changes; this pipe snapshots if it becomes leader";
    this.#report.loss(loss, this.spec.pipe.spool_max_mb, then);
  }

  // ---- reporting -------------------------------------------------------------------------------

  #heartbeatStats(): Record<string, unknown> {
    try {
      return heartbeatStats(this.status());
    } catch (err) {
      // Reporting must never cost a heartbeat.
      return { stats_error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Realtime came back after the watched root was re-created: what happened meanwhile is only on disk. */
  #onSourceReset(reason: string): void {
    this.#report.realtimeResets++;
    this.#error(new Error(reason), 'source: realtime re-established; re-snapshotting and auditing');
    this.#source.clearAuditCache();
    this.#requestResnapshot(true);
  }

  #error(err: unknown, context: string): void {
    this.#report.error(err, context);
  }
}
