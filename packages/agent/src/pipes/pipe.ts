// One pipe's runtime: source → realtime queue/spool → session outbox, plus session, heartbeat,
// command long-poll and leader duties. Never exits on a data-plane error: it logs, reports and retries.

import { join } from 'node:path';
import type { SessionCreated, SessionRole } from '@fustor/protocol';
import type { Logger } from '@fustor/protocol';
import type { FsSource, FsSourceOptions } from '@fustor/source-fs';
import type { PipeSpec } from '../config/types.js';
import { SessionExpiredError, TransportError } from '../errors.js';
import { SessionOutbox } from '../senders/outbox.js';
import type { Sender } from '../senders/types.js';
import { Spool } from '../spool/spool.js';
import { abortableSleep, Backoff, isAbort, type BackoffOptions } from './backoff.js';
import { LeaderDuties } from './leader-duties.js';
import { sourceOptions } from './source-options.js';
import { RealtimeQueue } from './realtime-queue.js';
import { CommandRunner } from './commands.js';
import { emptyCounts, heartbeatStats, progressOf, safely, type PipePhase, type PipeState, type PipeStatus, type RecentError } from './status.js';

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
}

interface SessionCtx {
  id: string;
  view: string;
  role: SessionRole | null;
  heartbeatMs: number;
  ctl: AbortController;
  outbox: SessionOutbox;
  snapshotDone: boolean;
  /** resnapshot generation the running snapshot will satisfy. */
  snapshotGen: number;
  leader: { ctl: AbortController; duties: LeaderDuties; done: Promise<void> } | null;
  commands: CommandRunner;
  heartbeatOk: boolean;
  end(reason: 'expired' | 'stopped'): void;
}

const MAX_RECENT_ERRORS = 20;

export class Pipe {
  readonly spec: PipeSpec;
  readonly #d: PipeDeps;
  readonly #log: Logger;
  readonly #source: FsSource;
  readonly #sender: Sender;
  readonly #spool: Spool;
  readonly #queue: RealtimeQueue;
  readonly #stopCtl = new AbortController();
  readonly #startedAt = Date.now();
  #run: Promise<void> | null = null;
  #session: SessionCtx | null = null;
  #lastView: string | null = null;
  #stopped = false;
  #stopping = false;
  #sourceFailed = false;
  #connectAttempts = 0;
  #unsubscribe: (() => void) | null = null;
  #phase: PipePhase = 'idle';
  #lastHeartbeatMs: number | null = null;
  #resnapshotGen = 0;
  #immediateAudit = false;
  #satisfiedGen = 0;
  #counts = {
    sent: emptyCounts(), batches: 0, batchesRejected: 0, eventsRejected: 0, ignored: 0, sessions: 0,
    snapshots: 0, audits: 0, overflows: 0, dropped: 0, errors: 0, realtimeResets: 0,
  };
  #lastSnapshotEnd: number | null = null;
  #lastAuditEnd: number | null = null;
  #recent: RecentError[] = [];

  constructor(spec: PipeSpec, deps: PipeDeps) {
    this.spec = spec;
    this.#d = deps;
    this.#log = deps.log.child({ pipe: spec.pipe.id });
    this.#source = deps.createSource(sourceOptions(spec, this.#log, {
      rootLost: (message) => this.#error(new Error(message), 'source: realtime stopped (the watched root is gone)'),
      rescanNeeded: (reason) => this.#onSourceReset(reason),
    }));
    this.#sender = deps.createSender(spec);
    this.#spool = new Spool({
      dir: join(deps.stateDir, spec.pipe.id, 'spool'),
      maxBytes: Math.round(spec.pipe.spool_max_mb * 1024 * 1024),
      segmentBytes: Math.round(spec.spool.segment_mb * 1024 * 1024),
      fsync: spec.spool.fsync,
    });
    if (this.#spool.events > 0) this.#log.info('spool holds undelivered events from a previous run', { events: this.#spool.events });
    this.#queue = new RealtimeQueue({ spool: this.#spool, memoryLimit: deps.memoryLimit, onOverflow: (n) => this.#onOverflow(n) });
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
    this.#session?.leader?.ctl.abort();
    const until = Date.now() + flushDeadlineMs;
    while (this.#queue.depth > 0 && this.#session?.outbox.online && Date.now() < until) {
      await abortableSleep(20);
    }
    this.#stopCtl.abort();
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
      return this.#connectAttempts <= 1 && this.#counts.sessions === 0 ? 'starting' : 'reconnecting';
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
      endpoint: this.spec.sender.config.endpoint,
      started_at_ms: this.#startedAt,
      last_heartbeat_ms: this.#lastHeartbeatMs,
      heartbeat_interval_sec: s ? s.heartbeatMs / 1000 : null,
      phase: this.#phase,
      progress,
      can_realtime: coverage,
      realtime_resets: this.#counts.realtimeResets,
      events_sent: { ...this.#counts.sent },
      batches_sent: this.#counts.batches,
      batches_rejected: this.#counts.batchesRejected,
      events_rejected: this.#counts.eventsRejected,
      events_ignored: this.#counts.ignored,
      spool: {
        events: this.#spool.events,
        bytes: this.#spool.bytes,
        max_bytes: this.#spool.maxBytes,
        overflows: this.#counts.overflows,
        dropped_events: this.#counts.dropped,
      },
      queue_depth: this.#queue.depth,
      resnapshot_pending: this.#satisfiedGen < this.#resnapshotGen,
      sessions_opened: this.#counts.sessions,
      snapshots_completed: this.#counts.snapshots,
      audits_completed: this.#counts.audits,
      last_snapshot_end_ms: this.#lastSnapshotEnd,
      last_audit_end_ms: this.#lastAuditEnd,
      errors_total: this.#counts.errors,
      recent_errors: [...this.#recent],
    };
  }

  // ---- main loop ------------------------------------------------------------------------------

  async #main(): Promise<void> {
    const stop = this.#stopCtl.signal;
    const bo = new Backoff(this.#d.backoff);
    while (!stop.aborted) {
      try {
        await this.#source.start();
        this.#sourceFailed = false;
        break;
      } catch (err) {
        this.#sourceFailed = true;
        this.#error(err, 'starting source');
        await abortableSleep(bo.next(), stop).catch(() => undefined);
      }
    }
    if (stop.aborted) return;
    // Realtime starts before any snapshot so nothing falls between (consistency.md §7).
    this.#unsubscribe = this.#source.onRealtime((events) => this.#queue.push(events, this.#online()));
    if (this.#stopping) this.#unsubscribe();
    bo.reset();
    while (!stop.aborted) {
      let created: SessionCreated;
      this.#connectAttempts++;
      try {
        created = await this.#sender.openSession({
          agent_id: this.spec.agent_id,
          pipe_id: this.id,
          ...(this.spec.sender.config.view ? { view: this.spec.sender.config.view } : {}),
          source_uri: this.spec.source.config.uri,
          session_timeout_sec: this.spec.pipe.session_timeout_sec,
          can_realtime: this.#canRealtime(),
          agent_version: AGENT_VERSION,
        });
      } catch (err) {
        if (stop.aborted) break;
        this.#error(err, 'opening session');
        await abortableSleep(bo.next(), stop).catch(() => undefined);
        continue;
      }
      bo.reset();
      const reason = await this.#runSession(created);
      if (reason === 'stopped') break;
      // 'expired': Fusion forgot the session; a new one at once, no backoff.
    }
  }

  #online(): boolean {
    return !!this.#session && this.#session.outbox.online && !this.#stopping;
  }

  #canRealtime(): boolean {
    return safely(() => this.#source.coverage().canRealtime, false);
  }

  async #runSession(created: SessionCreated): Promise<'expired' | 'stopped'> {
    const ctl = new AbortController();
    const stop = this.#stopCtl.signal;
    let endWith: (r: 'expired' | 'stopped') => void = () => undefined;
    const ended = new Promise<'expired' | 'stopped'>((resolve) => (endWith = resolve));
    const onStop = () => endWith('stopped');
    stop.addEventListener('abort', onStop, { once: true });
    if (stop.aborted) endWith('stopped');

    const outbox = new SessionOutbox({
      sender: this.#sender,
      sessionId: created.session_id,
      queue: this.#queue,
      batchMax: this.spec.sender.config.batch_max_events,
      scanBatchMax: this.spec.sender.config.scan_batch_max_events ?? this.spec.sender.config.batch_max_events,
      backoff: this.#d.backoff,
      hooks: {
        online: (online) => {
          if (!online) {
            this.#queue.spill();
            this.#log.warn('Fusion is not accepting events; spooling realtime events to disk', { spool_events: this.#spool.events });
          } else {
            this.#log.info('Fusion accepts events again; delivering the spool in order', { spool_events: this.#spool.events });
          }
        },
        sent: (source, n, result) => {
          this.#counts.sent[source] += n;
          this.#counts.batches++;
          this.#counts.ignored += result?.ignored ?? 0;
        },
        rejected: (source, n, err) => {
          this.#counts.batchesRejected++;
          this.#counts.eventsRejected += n;
          this.#error(err, `Fusion rejected a ${source} batch of ${n} events (dropped; its batch_seq is reused)`);
        },
        error: (err, context) => this.#error(err, context),
      },
    });
    const s: SessionCtx = {
      id: created.session_id,
      view: created.view,
      role: null,
      heartbeatMs: Math.max(10, (created.heartbeat_interval_sec ?? created.timeout_sec / 2) * 1000),
      ctl,
      outbox,
      snapshotDone: false,
      snapshotGen: 0,
      leader: null,
      commands: new CommandRunner(
        {
          source: this.#source,
          sender: this.#sender,
          log: this.#log,
          error: (err, context) => this.#error(err, context),
          requestResnapshot: () => {
            this.#resnapshotGen++;
            s.leader?.duties.kick();
          },
        },
        { id: created.session_id, outbox, signal: ctl.signal, expired: () => s.end('expired') },
      ),
      heartbeatOk: true,
      end: (r) => endWith(r),
    };
    this.#session = s;
    this.#lastView = s.view;
    this.#counts.sessions++;
    this.#lastHeartbeatMs = Date.now();
    this.#log.info('session opened', { session_id: s.id, view: s.view, role: created.role, heartbeat_interval_sec: s.heartbeatMs / 1000 });
    // A new session starts with a cold audit cache: its first audit is full (consistency.md §1).
    this.#source.clearAuditCache();
    this.#setRole(s, created.role);

    const loops = [
      outbox.run(ctl.signal).catch((err) => {
        if (err instanceof SessionExpiredError) s.end('expired');
        else if (!isAbort(err)) this.#error(err, 'outbox');
      }),
      this.#heartbeatLoop(s),
      this.#commandLoop(s),
    ];
    const reason = await ended;
    stop.removeEventListener('abort', onStop);
    if (reason === 'expired') this.#log.warn('session expired on Fusion; opening a new session', { session_id: s.id });
    s.leader?.ctl.abort();
    ctl.abort();
    await Promise.allSettled([...loops, s.leader?.done, ...s.commands.tasks]);
    this.#session = null;
    if (reason === 'stopped') {
      await this.#sender.closeSession(s.id).catch((err) => this.#log.debug('closing session failed', { error: String(err) }));
    }
    return reason;
  }

  // ---- roles and leader duties -------------------------------------------------------------------

  #setRole(s: SessionCtx, role: SessionRole | undefined): void {
    if (role !== 'leader' && role !== 'follower') return;
    if (s.role === role) return;
    const previous = s.role;
    s.role = role;
    if (previous) this.#log.info(`role changed: ${previous} → ${role}`, { session_id: s.id });
    if (role === 'follower') {
      s.leader?.ctl.abort();
      s.leader = null;
      return;
    }
    if (s.ctl.signal.aborted || this.#stopping) return;
    // Promotion: forget audit mtimes so the first audit as leader is full.
    this.#source.clearAuditCache();
    const ctl = new AbortController();
    s.ctl.signal.addEventListener('abort', () => ctl.abort(), { once: true });
    const duties = new LeaderDuties({
      source: this.#source,
      sender: this.#sender,
      sessionId: s.id,
      outbox: s.outbox,
      signal: ctl.signal,
      auditIntervalMs: this.spec.pipe.audit_interval_sec * 1000,
      sentinelIntervalMs: this.spec.pipe.sentinel_interval_sec * 1000,
      backoff: this.#d.backoff,
      snapshotOwed: () => !s.snapshotDone || this.#satisfiedGen < this.#resnapshotGen,
      takeImmediateAudit: () => {
        const due = this.#immediateAudit;
        this.#immediateAudit = false;
        return due;
      },
      setPhase: (phase) => {
        if (phase === 'snapshot') s.snapshotGen = this.#resnapshotGen;
        this.#phase = phase;
      },
      scanFinished: (kind, complete, done) => {
        const now = Date.now();
        if (kind === 'snapshot') {
          if (done) {
            s.snapshotDone = true;
            this.#satisfiedGen = Math.max(this.#satisfiedGen, s.snapshotGen);
          }
          if (complete) this.#counts.snapshots++;
          this.#lastSnapshotEnd = now;
        } else {
          if (complete) this.#counts.audits++;
          this.#lastAuditEnd = now;
        }
        this.#log.info(`${kind} finished`, { complete, session_id: s.id });
      },
      error: (err, context) => this.#error(err, context),
      sessionExpired: () => s.end('expired'),
    });
    const done = duties.run().catch((err) => this.#error(err, 'leader duties (unexpected)'));
    s.leader = { ctl, duties, done };
  }

  #onOverflow(lost: number): void {
    this.#counts.overflows++;
    this.#counts.dropped += lost;
    this.#owedRescan();
    const role = this.#session?.role;
    this.#error(
      new Error(`spool full (${this.spec.pipe.spool_max_mb} MB): dropped ${lost} undelivered realtime events`),
      role === 'leader' || !role
        ? 'spool overflow: the pipe re-snapshots as soon as it is leader and connected'
        : "spool overflow as follower: the leader's next audit covers the lost changes; this pipe snapshots if it becomes leader",
    );
  }

  /** The source's root was re-created and is watched again: nothing tells what changed meanwhile. */
  #onSourceReset(reason: string): void {
    this.#counts.realtimeResets++;
    this.#error(new Error(reason), 'source: realtime re-established; re-snapshotting and auditing');
    this.#owedRescan();
  }

  /** A snapshot as soon as leader and connected, then a full audit: lost events may include deletions, which only an audit finds. */
  #owedRescan(): void {
    this.#resnapshotGen++;
    this.#immediateAudit = true;
    this.#source.clearAuditCache();
    this.#session?.leader?.duties.kick();
  }

  // ---- heartbeat and commands ------------------------------------------------------------------

  /** Separate timer chain: it keeps beating whatever the scans, sends or commands do. */
  async #heartbeatLoop(s: SessionCtx): Promise<void> {
    const signal = s.ctl.signal;
    const retry = new Backoff({ ...this.#d.backoff, capMs: s.heartbeatMs });
    let delay = s.heartbeatMs;
    while (!signal.aborted) {
      try {
        await abortableSleep(delay, signal);
      } catch {
        return;
      }
      delay = s.heartbeatMs;
      try {
        const res = await this.#sender.heartbeat(s.id, {
          can_realtime: this.#canRealtime(),
          phase: this.#phase === 'idle' ? 'realtime' : this.#phase,
          stats: this.#heartbeatStats(),
        }, signal);
        if (signal.aborted) return;
        s.heartbeatOk = true;
        retry.reset();
        s.outbox.nudge();
        this.#lastHeartbeatMs = Date.now();
        this.#setRole(s, res?.role);
        s.commands.handle(res?.commands ?? []);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof SessionExpiredError) {
          s.end('expired');
          return;
        }
        s.heartbeatOk = false;
        this.#error(err, 'heartbeat');
        // Retry sooner than the interval (never later) so a short blip does not cost the session.
        delay = Math.min(s.heartbeatMs, retry.next());
      }
    }
  }

  async #commandLoop(s: SessionCtx): Promise<void> {
    const signal = s.ctl.signal;
    const bo = new Backoff(this.#d.backoff);
    const waitMs = this.#d.commandWaitMs ?? 25_000;
    while (!signal.aborted) {
      const t0 = Date.now();
      try {
        const res = await this.#sender.commands(s.id, waitMs, signal);
        if (signal.aborted) return;
        bo.reset();
        this.#setRole(s, res?.role);
        const cmds = res?.commands ?? [];
        s.commands.handle(cmds);
        // A server that answers at once with nothing (no long-poll support) must not make us spin.
        if (cmds.length === 0 && Date.now() - t0 < 50) await abortableSleep(1000, signal);
      } catch (err) {
        if (signal.aborted || isAbort(err)) return;
        if (err instanceof SessionExpiredError) {
          s.end('expired');
          return;
        }
        if (!(err instanceof TransportError)) this.#error(err, 'commands long-poll');
        await abortableSleep(bo.next(), signal).catch(() => undefined);
      }
    }
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

  #error(err: unknown, context: string): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#counts.errors++;
    this.#recent.push({ at_ms: Date.now(), message, context });
    if (this.#recent.length > MAX_RECENT_ERRORS) this.#recent.shift();
    this.#log.warn(context, { error: message });
  }
}
