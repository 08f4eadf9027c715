// One view's complete in-memory state (tree + marks + clock + audit context) and the journal of what changed since the last commit.

import type { EngineClocks } from '../contract.js';
import { F_BLIND, F_LIVE, F_SEEN, F_SUSPECT, NO_NODE, NodeTable, ROOT } from '../tree/node-table.js';
import { TreeIndex } from '../tree/tree-index.js';
import { SkewClock } from './skew-clock.js';
import { SuspectHeap } from './suspect-set.js';
import { ChangeBuffer, OP_DELETE, OP_SETTLED, OP_SUSPECT } from '../changes/change-buffer.js';

export interface Tombstone {
  /** Watermark (storage clock domain) at the delete: events with a newer mtime are re-creations. */
  logical: number;
  /** Fusion physical time of the delete: drives the TTL. */
  physical: number;
  /** Session whose realtime delete created it: its own later realtime upserts are never echoes. */
  session: string | null;
}

export interface AuditContext {
  startedAt: number;
  /** Directories whose own entry came with audit_skipped:false in this audit. */
  listed: Set<string>;
}

/** consumers.md §3: what a reader needs to judge how complete and how fresh the view is. Persisted per view. */
export interface FreshnessState {
  /** A leader finished a complete snapshot since the view last had none (reset clears it). */
  snapshotComplete: boolean;
  lastSnapshotEnd: number | null;
  lastAuditEnd: number | null;
  /** Complete audits ended. */
  auditCount: number;
  /** Fusion physical time of the last realtime batch. */
  lastRealtimeAt: number | null;
}

export function freshState(): FreshnessState {
  return { snapshotComplete: false, lastSnapshotEnd: null, lastAuditEnd: null, auditCount: 0, lastRealtimeAt: null };
}

export interface Thresholds {
  hotMs: number;
  tombstoneTtlMs: number;
}

/** Keys changed since the last commit; the store turns them into row upserts/deletes. */
export class Journal {
  tombstones = new Set<string>();
  /** Blind-spot deletion paths added or removed. */
  blind = new Set<string>();
  /** Node ids whose audit-seen mark changed (set, or dropped with the node). */
  seen = new Set<number>();
  listed: string[] = [];
  auditChanged = false;
  /** Set by reset(): the store wipes the view's rows before writing the rest. */
  wipe = false;
  /** Owner/group names learned in this commit. */
  principals: Array<['user' | 'group', number, string]> = [];

  clear(): void {
    this.principals = [];
    this.tombstones.clear();
    this.blind.clear();
    this.seen.clear();
    this.listed = [];
    this.auditChanged = false;
    this.wipe = false;
  }
}

export class ViewState {
  tree: TreeIndex;
  readonly clocks: EngineClocks;
  th: Thresholds;
  tombstones = new Map<string, Tombstone>();
  heap = new SuspectHeap();
  blindDels = new Set<string>();
  clock = new SkewClock();
  audit: AuditContext | null = null;
  lastEventAt: number | null = null;
  fresh: FreshnessState = freshState();
  readonly j = new Journal();
  /** Feed entries of the commit in progress (written with it, then handed to readers). */
  readonly changes = new ChangeBuffer();
  /**
   * The directory of the last path resolved (apply-events.ts resolve); `fresh`: the current listing's
   * rows are all new children of it (beginListingRows), so they need no child lookup.
   */
  readonly dirHint = { path: '', id: NO_NODE, gen: -1, fresh: false };

  constructor(clocks: EngineClocks, th: Thresholds, table?: NodeTable) {
    this.clocks = clocks;
    this.th = th;
    this.tree = new TreeIndex(table);
  }

  get t(): NodeTable {
    return this.tree.t;
  }

  watermark(): number {
    return this.clocks.physical() - this.clock.skewMs();
  }

  /** Set while a scan batch is applied: the watermark its files are judged hot against (one clock read per batch, not per file). */
  #pinned: number | null = null;

  /** Pins the watermark for the batch being applied (a batch is applied at one moment), or unpins it. */
  pinWatermark(on: boolean): void {
    this.#pinned = on ? this.watermark() : null;
  }

  // ---- suspects (flag + columns on the node, heap on expiry) -----------------------------------

  suspectCount(): number {
    const t = this.t;
    return t.dSuspect[t.dslot[ROOT]!]!;
  }

  /** Marks (or re-arms) a suspect; the off → on transition is a feed entry. `path` spares a walk when the caller has it. */
  setSuspect(id: number, expiry: number, mtime: number, path?: string): void {
    const t = this.t;
    if (this.tree.setFlag(id, F_SUSPECT, true)) this.changes.node(OP_SUSPECT, t, id, path ?? t.pathOf(id));
    t.sExpiry[id] = expiry;
    t.sMtime[id] = mtime;
    this.tree.touch(id);
    this.heap.push(expiry, id);
    this.heap.maybeCompact(t, this.suspectCount());
  }

  /** Clears a suspect mark; the on → off transition is a `settled` feed entry. */
  clearSuspect(id: number, path?: string): boolean {
    if (id === NO_NODE || !this.tree.setFlag(id, F_SUSPECT, false)) return false;
    this.changes.node(OP_SETTLED, this.t, id, path ?? this.t.pathOf(id));
    return true;
  }

  /** Marks a scanned file suspect when it is hot: age in the storage clock below the threshold (§5). */
  markIfHot(id: number, mtime: number, path?: string): void {
    const hot = this.th.hotMs;
    if (hot <= 0) return;
    const age = (this.#pinned ?? this.watermark()) - mtime;
    if (!(age < hot)) return;
    // A future mtime (negative age) would otherwise stay suspect until that date: cap at one threshold.
    const wait = Math.min(hot, Math.max(1000, hot - age));
    this.setSuspect(id, this.clocks.monotonic() + wait, mtime, path);
  }

  // ---- blind spots: additions are a node flag, deletions a path set ---------------------------

  blindAdditionCount(): number {
    const t = this.t;
    return t.dBlind[t.dslot[ROOT]!]!;
  }

  addBlindAddition(id: number, path: string): void {
    this.tree.setFlag(id, F_BLIND, true);
    if (this.blindDels.delete(path)) this.j.blind.add(path);
  }

  dropBlindMarks(id: number, path: string): void {
    if (id !== NO_NODE) this.tree.setFlag(id, F_BLIND, false);
    // Called for every realtime event: skip hashing the path when there is nothing to drop.
    if (this.blindDels.size !== 0 && this.blindDels.delete(path)) this.j.blind.add(path);
  }

  addBlindDeletion(path: string): void {
    this.blindDels.add(path);
    this.j.blind.add(path);
  }

  /** Drops deletion marks at or below `path` (a realtime event now speaks for that subtree). */
  dropBlindDeletionsUnder(path: string): void {
    if (this.blindDels.size === 0) return;
    const prefix = path === '/' ? '/' : path + '/';
    for (const p of this.blindDels) {
      if (p === path || p.startsWith(prefix)) {
        this.blindDels.delete(p);
        this.j.blind.add(p);
      }
    }
  }

  /** Ids of live nodes carrying flag `bit` (marks are flags, so listing them is one column scan). */
  flagged(bit: number): number[] {
    const t = this.t;
    const f = t.flags;
    const out: number[] = [];
    for (let id = 0; id < t.hwm; id++) if ((f[id]! & (bit | F_LIVE)) === (bit | F_LIVE)) out.push(id);
    return out;
  }

  // ---- tombstones ----------------------------------------------------------------------------

  setTombstone(path: string, ts: Tombstone): void {
    this.tombstones.set(path, ts);
    this.j.tombstones.add(path);
  }

  dropTombstone(path: string): void {
    if (this.tombstones.delete(path)) this.j.tombstones.add(path);
  }

  // ---- removal -------------------------------------------------------------------------------

  /**
   * Removes a node and its subtree (its suspect and addition marks go with the flags).
   * `asBlindDeletion` records each removed path as a blind-spot deletion (audit, sentinel).
   */
  removeNode(id: number, asBlindDeletion: boolean): number {
    const t = this.t;
    return this.tree.removeSubtree(id, (n) => {
      if (t.flags[n]! & F_SEEN) this.j.seen.add(n);
      const path = t.pathOf(n);
      this.changes.node(OP_DELETE, t, n, path);
      if (asBlindDeletion) this.addBlindDeletion(path);
    });
  }

  // ---- audit ---------------------------------------------------------------------------------

  markSeen(id: number): void {
    if (this.audit === null) return;
    const f = this.t.flags[id]!;
    if (f & F_SEEN) return;
    this.t.flags[id] = f | F_SEEN;
    this.j.seen.add(id);
  }

  markListed(path: string): void {
    if (this.audit === null || this.audit.listed.has(path)) return;
    this.audit.listed.add(path);
    this.j.listed.push(path);
  }

  clearSeenFlags(): void {
    const t = this.t;
    const f = t.flags;
    for (let i = 0; i < t.hwm; i++) if (f[i]! & F_SEEN) f[i] = f[i]! & ~F_SEEN;
  }
}
