// One session of a pipe, from Fusion's "created" answer to its end: the outbox, heartbeat, command
// long poll and role run side by side under one AbortSignal; the session ends when Fusion forgets it
// (expired: the pipe opens a new one at once) or when the pipe stops.

import type { HeartbeatRequest, SessionCreated, SessionRole } from '@fustor/protocol';
import { isAbort } from '../common/backoff.js';
import { SessionExpiredError } from '../errors.js';
import { SessionOutbox, type OutboxHooks } from '../senders/outbox.js';
import type { RealtimeQueue } from '../spool/realtime-queue.js';
import { CommandRunner } from './command-runner.js';
import { runHeartbeat } from './heartbeat.js';
import { SessionRoles, type RoleHost } from './roles.js';
import type { ScanQueue } from './scan-queue.js';

export type SessionEnd = 'expired' | 'stopped';

/** What a session needs of its pipe, beyond what roles need. */
export interface SessionHost extends RoleHost {
  readonly queue: RealtimeQueue;
  readonly scans: ScanQueue;
  readonly commandWaitMs: number;
  readonly stopSignal: AbortSignal;
  readonly outboxHooks: OutboxHooks;
  heartbeatBody(): HeartbeatRequest;
  /** A heartbeat was answered (for last_heartbeat_ms). */
  heartbeatAnswered(): void;
  requestResnapshot(): void;
}

export class PipeSession {
  readonly id: string;
  readonly view: string;
  readonly heartbeatMs: number;
  readonly outbox: SessionOutbox;
  readonly roles: SessionRoles;
  readonly commands: CommandRunner;
  /** False after a failed heartbeat, until one succeeds. */
  heartbeatOk = true;
  readonly #h: SessionHost;
  readonly #ctl = new AbortController();

  /** Aborted when the session ends (expired, replaced or stopped). */
  get signal(): AbortSignal {
    return this.#ctl.signal;
  }
  readonly #ended: Promise<SessionEnd>;
  #end: (reason: SessionEnd) => void = () => undefined;

  constructor(host: SessionHost, created: SessionCreated) {
    this.#h = host;
    this.id = created.session_id;
    this.view = created.view;
    this.heartbeatMs = Math.max(10, (created.heartbeat_interval_sec ?? created.timeout_sec / 2) * 1000);
    this.#ended = new Promise<SessionEnd>((resolve) => (this.#end = resolve));
    const signal = this.#ctl.signal;
    const cfg = host.spec.sender.config;
    this.outbox = new SessionOutbox({
      sender: host.sender,
      sessionId: this.id,
      queue: host.queue,
      batchMax: cfg.batch_max_events,
      scanBatchMax: cfg.scan_batch_max_events ?? cfg.batch_max_events,
      scanEncoding: created.scan_encoding,
      backoff: host.backoff,
      hooks: host.outboxHooks,
    });
    const expired = () => this.end('expired');
    this.roles = new SessionRoles(host, { id: this.id, outbox: this.outbox, signal, expired });
    this.commands = new CommandRunner(
      {
        source: host.source,
        sender: host.sender,
        scans: host.scans,
        log: host.log,
        backoff: host.backoff,
        error: (err, context) => host.error(err, context),
        requestResnapshot: () => host.requestResnapshot(),
      },
      { id: this.id, outbox: this.outbox, signal, expired, setRole: (role) => this.roles.set(role) },
    );
  }

  get role(): SessionRole | null {
    return this.roles.role;
  }

  end(reason: SessionEnd): void {
    this.#end(reason);
  }

  /**
   * Runs until the session ends; returns why. `initialRole` is the role Fusion gave at creation;
   * `beatAtOnce` sends the first heartbeat now instead of after an interval.
   */
  async run(initialRole: SessionRole | undefined, opts: { beatAtOnce?: boolean } = {}): Promise<SessionEnd> {
    const h = this.#h;
    const signal = this.#ctl.signal;
    const onStop = () => this.end('stopped');
    h.stopSignal.addEventListener('abort', onStop, { once: true });
    if (h.stopSignal.aborted) this.end('stopped');
    this.roles.set(initialRole);
    const loops = [
      this.outbox.run(signal).catch((err) => {
        if (err instanceof SessionExpiredError) this.end('expired');
        else if (!isAbort(err)) h.error(err, 'outbox');
      }),
      runHeartbeat({
        sender: h.sender,
        sessionId: this.id,
        intervalMs: this.heartbeatMs,
        ...(opts.beatAtOnce ? { firstDelayMs: 0 } : {}),
        signal,
        backoff: h.backoff,
        body: () => h.heartbeatBody(),
        answered: (res) => {
          this.outbox.nudge();
          h.heartbeatAnswered();
          this.roles.set(res?.role);
          this.commands.handle(res?.commands ?? []);
        },
        health: (ok) => (this.heartbeatOk = ok),
        expired: () => this.end('expired'),
        error: (err, context) => h.error(err, context),
      }),
      this.commands.poll(h.commandWaitMs),
    ];
    const reason = await this.#ended;
    h.stopSignal.removeEventListener('abort', onStop);
    if (reason === 'expired') h.log.warn('session expired on Fusion; opening a new session', { session_id: this.id });
    this.roles.cancel();
    this.#ctl.abort();
    await Promise.allSettled([...loops, this.roles.leaderDone, ...this.commands.tasks]);
    return reason;
  }
}
