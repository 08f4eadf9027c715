// Role changes of one session: promotion starts leader duties (owed snapshot, audits, sentinels),
// demotion cancels them; plus the pipe-wide record of which re-snapshots are still owed.

import type { Logger, SessionRole } from '@fustor/protocol';
import type { FsSource } from '@fustor/source-fs';
import type { BackoffOptions } from '../common/backoff.js';
import type { PipeSpec } from '../config/types.js';
import type { SessionOutbox } from '../senders/outbox.js';
import type { Sender } from '../senders/types.js';
import { LeaderDuties } from './leader-duties.js';
import type { PipePhase } from './status.js';

/** Re-snapshots owed by the pipe (resnapshot command, lost events), across sessions. */
export class SnapshotDebt {
  #requested = 0;
  #satisfied = 0;
  #immediateAudit = false;

  /** Owe one more snapshot; `withAudit` when events were lost (only an audit finds lost deletions). */
  request(withAudit = false): void {
    this.#requested++;
    if (withAudit) this.#immediateAudit = true;
  }
  get pending(): boolean {
    return this.#satisfied < this.#requested;
  }
  /** The generation a snapshot starting now will satisfy. */
  get generation(): number {
    return this.#requested;
  }
  satisfy(generation: number): void {
    this.#satisfied = Math.max(this.#satisfied, generation);
  }
  /** True once after a loss: the caller runs a full audit right after the snapshot. */
  takeImmediateAudit(): boolean {
    const due = this.#immediateAudit;
    this.#immediateAudit = false;
    return due;
  }
}

/** What roles need of the pipe. */
export interface RoleHost {
  readonly spec: PipeSpec;
  readonly source: FsSource;
  readonly sender: Sender;
  readonly log: Logger;
  readonly backoff: BackoffOptions | undefined;
  readonly debt: SnapshotDebt;
  stopping(): boolean;
  setPhase(phase: PipePhase): void;
  /** A snapshot or audit ended (counts and timestamps for the status). */
  scanFinished(kind: 'snapshot' | 'audit', complete: boolean): void;
  error(err: unknown, context: string): void;
}

/** The session a role belongs to. */
export interface RoleSession {
  id: string;
  outbox: SessionOutbox;
  signal: AbortSignal;
  expired(): void;
}

/** One session's role and, while leader, its duties. */
export class SessionRoles {
  readonly #h: RoleHost;
  readonly #s: RoleSession;
  #role: SessionRole | null = null;
  #leader: { ctl: AbortController; duties: LeaderDuties; done: Promise<void> } | null = null;
  #snapshotDone = false;
  #snapshotGen = 0;

  constructor(host: RoleHost, session: RoleSession) {
    this.#h = host;
    this.#s = session;
  }

  get role(): SessionRole | null {
    return this.#role;
  }
  /** Settles when the current leader duties have stopped (after cancel()). */
  get leaderDone(): Promise<void> | undefined {
    return this.#leader?.done;
  }

  /** Wakes the leader loop early (a re-snapshot is owed). */
  kick(): void {
    this.#leader?.duties.kick();
  }

  /** Stops leader duties (stop or session end); the role stays as it was. */
  cancel(): void {
    this.#leader?.ctl.abort();
  }

  set(role: SessionRole | undefined): void {
    if (role !== 'leader' && role !== 'follower') return;
    if (this.#role === role) return;
    const previous = this.#role;
    this.#role = role;
    const h = this.#h;
    if (previous) h.log.info(`role changed: ${previous} → ${role}`, { session_id: this.#s.id });
    if (role === 'follower') {
      this.#leader?.ctl.abort();
      this.#leader = null;
      return;
    }
    if (this.#s.signal.aborted || h.stopping()) return;
    // Promotion: forget audit mtimes so the first audit as leader is full.
    h.source.clearAuditCache();
    this.#startLeader();
  }

  #startLeader(): void {
    const h = this.#h;
    const s = this.#s;
    const ctl = new AbortController();
    s.signal.addEventListener('abort', () => ctl.abort(), { once: true });
    const duties = new LeaderDuties({
      source: h.source,
      sender: h.sender,
      sessionId: s.id,
      outbox: s.outbox,
      signal: ctl.signal,
      auditIntervalMs: h.spec.pipe.audit_interval_sec * 1000,
      sentinelIntervalMs: h.spec.pipe.sentinel_interval_sec * 1000,
      backoff: h.backoff,
      snapshotOwed: () => !this.#snapshotDone || h.debt.pending,
      takeImmediateAudit: () => h.debt.takeImmediateAudit(),
      setPhase: (phase) => {
        if (phase === 'snapshot') this.#snapshotGen = h.debt.generation;
        h.setPhase(phase);
      },
      scanFinished: (kind, complete, done) => {
        if (kind === 'snapshot' && done) {
          this.#snapshotDone = true;
          h.debt.satisfy(this.#snapshotGen);
        }
        h.scanFinished(kind, complete);
        h.log.info(`${kind} finished`, { complete, session_id: s.id });
      },
      error: (err, context) => h.error(err, context),
      sessionExpired: () => s.expired(),
    });
    const done = duties.run().catch((err) => h.error(err, 'leader duties (unexpected)'));
    this.#leader = { ctl, duties, done };
  }
}
