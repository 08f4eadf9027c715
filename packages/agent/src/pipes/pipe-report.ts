// What a pipe has done, for its status, heartbeat stats and log: counters, scan end times, recent errors.

import type { EventBatchResult, Logger, MessageSource } from '@fustor/protocol';
import type { FusionError } from '../errors.js';
import type { SpoolLoss } from '../spool/realtime-queue.js';
import { emptyCounts, type PipeStatus, type RecentError } from './status.js';

const MAX_RECENT_ERRORS = 20;

/** The status fields a PipeReport owns. */
export type ReportFields = Pick<
  PipeStatus,
  | 'last_heartbeat_ms' | 'events_sent' | 'batches_sent' | 'batches_rejected' | 'events_rejected' | 'events_ignored'
  | 'sessions_opened' | 'snapshots_completed' | 'audits_completed' | 'last_snapshot_end_ms' | 'last_audit_end_ms'
  | 'errors_total' | 'recent_errors' | 'realtime_resets'
>;

export class PipeReport {
  readonly #log: Logger;
  readonly #sent = emptyCounts();
  #batches = 0;
  #batchesRejected = 0;
  #eventsRejected = 0;
  #ignored = 0;
  #snapshots = 0;
  #audits = 0;
  #errors = 0;
  #recent: RecentError[] = [];
  #lastSnapshotEnd: number | null = null;
  #lastAuditEnd: number | null = null;
  sessions = 0;
  /** Times realtime was re-established after the watched root was re-created. */
  realtimeResets = 0;
  overflows = 0;
  writeFailures = 0;
  dropped = 0;
  lastHeartbeatMs: number | null = null;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** Counts, remembers (the last 20) and logs a problem; the pipe carries on. */
  error(err: unknown, context: string): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#errors++;
    this.#recent.push({ at_ms: Date.now(), message, context });
    if (this.#recent.length > MAX_RECENT_ERRORS) this.#recent.shift();
    this.#log.warn(context, { error: message });
  }

  sent(source: MessageSource, events: number, result: EventBatchResult | undefined): void {
    this.#sent[source] += events;
    this.#batches++;
    this.#ignored += result?.ignored ?? 0;
  }

  rejected(source: MessageSource, events: number, err: FusionError): void {
    this.#batchesRejected++;
    this.#eventsRejected += events;
    this.error(err, `Fusion rejected a ${source} batch of ${events} events (dropped; its batch_seq is reused)`);
  }

  scanFinished(kind: 'snapshot' | 'audit', complete: boolean): void {
    if (kind === 'snapshot') {
      if (complete) this.#snapshots++;
      this.#lastSnapshotEnd = Date.now();
    } else {
      if (complete) this.#audits++;
      this.#lastAuditEnd = Date.now();
    }
  }

  /** Counts lost events; reports an overflow each time, a failing disk once per failing stretch. */
  loss(loss: SpoolLoss, spoolMaxMb: number, then: string): void {
    if (loss.reason === 'overflow') this.overflows++;
    else this.writeFailures++;
    this.dropped += loss.lostEvents;
    if (loss.reason === 'overflow') {
      this.error(new Error(`spool full (${spoolMaxMb} MB): dropped ${loss.lostEvents} undelivered realtime events`), `spool overflow: ${then}`);
    } else if (loss.first) {
      this.error(loss.error, `spool write failed, dropped ${loss.lostEvents} undelivered realtime events: ${then}`);
    }
  }

  fields(): ReportFields {
    return {
      last_heartbeat_ms: this.lastHeartbeatMs,
      events_sent: { ...this.#sent },
      batches_sent: this.#batches,
      batches_rejected: this.#batchesRejected,
      events_rejected: this.#eventsRejected,
      events_ignored: this.#ignored,
      sessions_opened: this.sessions,
      snapshots_completed: this.#snapshots,
      audits_completed: this.#audits,
      last_snapshot_end_ms: this.#lastSnapshotEnd,
      last_audit_end_ms: this.#lastAuditEnd,
      errors_total: this.#errors,
      recent_errors: [...this.#recent],
      realtime_resets: this.realtimeResets,
    };
  }
}
