// The per-pipe status model shown by the console, `status`, and heartbeat stats.

import type { MessageSource } from '@fustor/protocol';
import type { ScanProgress } from '@fustor/source-fs';

export const PIPE_STATES = ['starting', 'leader', 'follower', 'reconnecting', 'degraded', 'stopped'] as const;
export type PipeState = (typeof PIPE_STATES)[number];

export type PipePhase = 'idle' | 'snapshot' | 'audit' | 'sentinel';

export interface PhaseProgress {
  phase: 'snapshot' | 'audit' | 'on_demand';
  entries_scanned: number;
  dirs_scanned: number;
  dirs_pending: number;
  dirs_skipped: number | null;
  /** dirs_scanned / (dirs_scanned + dirs_pending), 0..100; an estimate while the tree is being discovered. */
  percent: number;
  started_at_ms: number;
}

export interface RecentError {
  at_ms: number;
  message: string;
  context: string;
}

export interface PipeStatus {
  id: string;
  state: PipeState;
  role: 'leader' | 'follower' | null;
  session_id: string | null;
  view: string | null;
  source_uri: string;
  endpoint: string;
  started_at_ms: number;
  last_heartbeat_ms: number | null;
  heartbeat_interval_sec: number | null;
  phase: PipePhase;
  progress: PhaseProgress | null;
  can_realtime: boolean;
  /** Times realtime was re-established after the watched root was removed or re-created. */
  realtime_resets: number;
  events_sent: Record<MessageSource, number>;
  batches_sent: number;
  batches_rejected: number;
  events_rejected: number;
  events_ignored: number;
  spool: {
    events: number;
    bytes: number;
    max_bytes: number;
    /** Times the bound was hit (everything queued dropped, re-snapshot owed). */
    overflows: number;
    /** Appends the file system refused (disk full, I/O error): also a loss and a re-snapshot. */
    write_failures: number;
    /** False while the last spool write failed. */
    writable: boolean;
    dropped_events: number;
  };
  queue_depth: number;
  /** On-demand scans of this pipe: waiting for a slot, walking, and walks saved by coalescing. */
  on_demand: { queued: number; running: number; coalesced: number };
  resnapshot_pending: boolean;
  sessions_opened: number;
  snapshots_completed: number;
  audits_completed: number;
  last_snapshot_end_ms: number | null;
  last_audit_end_ms: number | null;
  errors_total: number;
  recent_errors: RecentError[];
}

export function emptyCounts(): Record<MessageSource, number> {
  return { realtime: 0, snapshot: 0, audit: 0, on_demand: 0 };
}

/** The `stats` object of a heartbeat: the operator-relevant subset of the status. */
export function heartbeatStats(st: PipeStatus): Record<string, unknown> {
  return {
    state: st.state,
    can_realtime: st.can_realtime,
    realtime_resets: st.realtime_resets,
    events_sent: st.events_sent,
    batches_sent: st.batches_sent,
    batches_rejected: st.batches_rejected,
    events_rejected: st.events_rejected,
    queue_depth: st.queue_depth,
    spool_events: st.spool.events,
    spool_bytes: st.spool.bytes,
    spool_max_bytes: st.spool.max_bytes,
    spool_overflows: st.spool.overflows,
    spool_write_failures: st.spool.write_failures,
    spool_dropped_events: st.spool.dropped_events,
    resnapshot_pending: st.resnapshot_pending,
    progress: st.progress,
    errors_total: st.errors_total,
    last_error: st.recent_errors.at(-1)?.message ?? null,
  };
}

/** The console/heartbeat view of the source's scan progress (null when no scan runs). */
export function progressOf(p: ScanProgress | null): PhaseProgress | null {
  if (!p || p.done) return null;
  const total = p.dirsScanned + p.dirsPending;
  return {
    phase: p.phase,
    entries_scanned: p.entriesScanned,
    dirs_scanned: p.dirsScanned,
    dirs_pending: p.dirsPending,
    dirs_skipped: p.dirsSkipped ?? null,
    percent: total > 0 ? Math.floor((100 * p.dirsScanned) / total) : 0,
    started_at_ms: p.startedAtMs,
  };
}

/** Status reads must never throw into a heartbeat or the console. */
export function safely<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
