// The per-pipe status model shown by the console, `status`, and heartbeat stats.

import type { MessageSource } from '@fustor/protocol';

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
  events_sent: Record<MessageSource, number>;
  batches_sent: number;
  batches_rejected: number;
  events_rejected: number;
  events_ignored: number;
  spool: { events: number; bytes: number; max_bytes: number; overflows: number; dropped_events: number };
  queue_depth: number;
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
