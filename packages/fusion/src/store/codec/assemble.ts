// Builds one view's in-memory state from what a store read (the same steps for SQLite and PostgreSQL).

import { ViewState, type Thresholds } from '../../arbitration/view-state.js';
import type { EngineClocks } from '../../contract.js';
import { F_DIR, F_KNOWN, F_LIVE, F_SEEN, NO_NODE, ROOT } from '../../tree/node-table.js';
import type { DecodedNodes } from './node-blobs.js';

/** The view row's persisted scalars (freshness, audit context). */
export interface ViewRowData {
  last_event_at: number | null;
  audit_started_at: number | null;
  snapshot_complete: boolean;
  last_snapshot_end: number | null;
  last_audit_end: number | null;
  audit_count: number;
  last_realtime_at: number | null;
}

export interface StoredView {
  nodes: Pick<DecodedNodes, 'table' | 'hwm'>;
  tombstones: Iterable<[string, number, number, string | null]>;
  blindDeletions: Iterable<string>;
  clock: [number, number][];
  agents: Iterable<[number, string]>;
  principals: Iterable<[string, number, string]>;
  row: ViewRowData | undefined;
  /** Read only when an audit is open. */
  auditListed(): Iterable<string>;
  auditSeen(): Iterable<number>;
}

/**
 * Nodes are linked, unreachable records dropped (and rewritten at the next commit), aggregates rebuilt,
 * then marks, clock, labels, freshness and the open audit are restored.
 */
export function assembleState(s: StoredView, clocks: EngineClocks, th: Thresholds, warn: (msg: string, f?: Record<string, unknown>) => void): ViewState {
  const { table, hwm } = s.nodes;
  // The root always exists; an empty view (or a damaged root record) gets a fresh one, written with the next commit.
  const freshRoot = hwm === 0 || (table.flags[ROOT]! & (F_LIVE | F_DIR)) !== (F_LIVE | F_DIR);
  if (freshRoot) {
    table.flags[ROOT] = F_LIVE | F_DIR | F_KNOWN;
    table.parent[ROOT] = NO_NODE;
    table.names[ROOT] = '';
  }
  const orphans = table.finishBulkLoad(Math.max(1, hwm));
  const st = new ViewState(clocks, th, table);
  const t = st.t;
  const unreachable = dropUnreachable(st, orphans);
  if (unreachable.length > 0) warn('dropping node records that are not reachable from the root', { count: unreachable.length });
  st.tree.rebuildAggregates();

  for (const [path, logical, physical, session] of s.tombstones) st.tombstones.set(path, { logical, physical, session });
  st.heap.rebuild(t);
  for (const p of s.blindDeletions) st.blindDels.add(p);
  st.clock.load(s.clock);
  const labels = st.tree.labels;
  for (const [idx, agent] of s.agents) labels.loadAgent(idx, agent);
  for (const [kind, id, name] of s.principals) (kind === 'user' ? labels.users : labels.groups).set(id, name);
  const row = s.row;
  st.lastEventAt = row?.last_event_at ?? null;
  st.fresh = {
    snapshotComplete: row?.snapshot_complete ?? false,
    lastSnapshotEnd: row?.last_snapshot_end ?? null,
    lastAuditEnd: row?.last_audit_end ?? null,
    auditCount: row?.audit_count ?? 0,
    lastRealtimeAt: row?.last_realtime_at ?? null,
  };
  if (row?.audit_started_at != null) {
    st.audit = { startedAt: row.audit_started_at, listed: new Set(s.auditListed()) };
    for (const id of s.auditSeen()) if (t.isLive(id)) t.flags[id] = t.flags[id]! | F_SEEN;
  }
  st.tree.touched.clear();
  for (const id of unreachable) st.tree.touch(id);
  if (freshRoot) st.tree.touch(ROOT);
  return st;
}

/** Releases live nodes not reachable from the root (never expected; guards against a damaged store). */
function dropUnreachable(st: ViewState, orphans: number[]): number[] {
  const t = st.t;
  if (orphans.length === 0 && t.live === countReachable(st)) return [];
  const reached = new Uint8Array(t.hwm);
  const stack = [ROOT];
  reached[ROOT] = 1;
  while (stack.length > 0) {
    const d = stack.pop()!;
    for (let c = t.firstChild(d); c !== NO_NODE; c = t.next[c]!) {
      reached[c] = 1;
      if (t.isDir(c)) stack.push(c);
    }
  }
  const orphanSet = new Set(orphans);
  const out: number[] = [];
  for (let id = 1; id < t.hwm; id++) if (t.isLive(id) && !reached[id]) out.push(id);
  for (const id of out) if (!orphanSet.has(id)) t.unlink(id);
  for (const id of out) t.release(id);
  return out;
}

function countReachable(st: ViewState): number {
  const t = st.t;
  let n = 1;
  const stack = [ROOT];
  while (stack.length > 0) {
    const d = stack.pop()!;
    for (let c = t.firstChild(d); c !== NO_NODE; c = t.next[c]!) {
      n++;
      if (t.isDir(c)) stack.push(c);
    }
  }
  return n;
}
