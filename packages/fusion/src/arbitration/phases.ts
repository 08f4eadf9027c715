// Phase-level rules: snapshot start, audit start/end (missing-item detection), suspect expiry and sentinel feedback.

import type { SentinelResult } from '@fustor/protocol';
import { F_BLIND, F_SEEN, F_SUSPECT, NO_NODE } from '../tree/node-table.js';
import type { ViewState } from './view-state.js';
import { OP_UPSERT } from '../changes/change-buffer.js';

/** First leader after a leader change begins its snapshot: blind spots are rediscovered from scratch. */
export function clearBlindSpots(st: ViewState): void {
  if (st.blindAdditionCount() > 0) for (const id of st.flagged(F_BLIND)) st.tree.setFlag(id, F_BLIND, false);
  for (const p of st.blindDels) st.j.blind.add(p);
  st.blindDels.clear();
}

export function startAudit(st: ViewState, now: number): void {
  if (st.audit !== null) st.clearSeenFlags();
  st.audit = { startedAt: now, listed: new Set() };
  st.j.auditChanged = true;
}

/**
 * Missing-item detection (complete audits only): in every directory listed in full by this audit, a
 * child the audit did not report is gone — unless it has a tombstone, or realtime confirmed it after
 * the audit started (its evidence is newer than the listing: `cp -p`, `rsync -a`). Then tombstones
 * older than the TTL expire (on every audit end: the TTL is physical time, not audit-bound).
 */
export function endAudit(st: ViewState, complete: boolean, now: number): number {
  const audit = st.audit!;
  let deleted = 0;
  if (complete) {
    const t = st.t;
    for (const dirPath of audit.listed) {
      const dir = t.lookup(dirPath);
      if (dir === NO_NODE || !t.isDir(dir)) continue;
      const missing: number[] = [];
      for (const c of t.childIds(dir)) {
        if (t.flags[c]! & F_SEEN) continue;
        if (t.confirmed[c]! > audit.startedAt) continue;
        if (st.tombstones.size > 0 && st.tombstones.has(joinPath(dirPath, t.names[c]!))) continue;
        missing.push(c);
      }
      for (const c of missing) deleted += st.removeNode(c, true);
    }
  }
  const ttl = st.th.tombstoneTtlMs;
  for (const [p, ts] of st.tombstones) if (now - ts.physical > ttl) st.dropTombstone(p);
  st.clearSeenFlags();
  st.audit = null;
  st.j.auditChanged = true;
  return deleted;
}

function joinPath(parent: string, name: string): string {
  return parent === '/' ? '/' + name : parent + '/' + name;
}

/** Due suspects: cleared when the node's mtime still equals the recorded one, renewed for a full threshold otherwise. */
export function expireSuspects(st: ViewState): number {
  const mono = st.clocks.monotonic();
  const t = st.t;
  const due = st.heap.popDue(t, mono);
  for (const id of due) {
    if (t.mtime[id] === t.sMtime[id]) st.clearSuspect(id);
    else st.setSuspect(id, mono + st.th.hotMs, t.mtime[id]!);
  }
  return due.length;
}

export interface SentinelOutcome {
  cleared: number;
  renewed: number;
  deleted: number;
}

/**
 * Leader re-stat results. Only paths still suspect are considered (a late answer for a cleared mark
 * says nothing new; the next audit covers it). `exists:false` removes the node as a blind-spot deletion
 * — not a tombstone, since no realtime delete was seen.
 */
export function applySentinel(st: ViewState, results: readonly SentinelResult[]): SentinelOutcome {
  const out: SentinelOutcome = { cleared: 0, renewed: 0, deleted: 0 };
  const t = st.t;
  const mono = st.clocks.monotonic();
  for (const r of results) {
    const id = t.lookup(r.path);
    if (id === NO_NODE || (t.flags[id]! & F_SUSPECT) === 0) continue;
    if (!r.exists) {
      st.removeNode(id, true);
      out.deleted++;
      continue;
    }
    if (r.mtime_ms === undefined || r.mtime_ms === t.sMtime[id]) {
      st.clearSuspect(id, r.path);
      out.cleared++;
      continue;
    }
    if (st.tree.setAttrs(id, r.size ?? t.size[id]!, r.mtime_ms)) st.changes.node(OP_UPSERT, t, id, r.path);
    st.setSuspect(id, mono + st.th.hotMs, r.mtime_ms, r.path);
    out.renewed++;
  }
  return out;
}
