// One view's complete in-memory state (tree + marks + clock + audit context) and the journal of what changed since the last commit.

import type { EngineClocks } from '../views/contract.js';
import { F_BLIND, F_SEEN, F_SUSPECT, NO_NODE, NodeTable } from '../tree/node-table.js';
import { TreeIndex } from '../tree/tree-index.js';
import { SkewClock } from './skew-clock.js';
import { SuspectSet } from './suspect-set.js';

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

export interface Thresholds {
  hotMs: number;
  tombstoneTtlMs: number;
}

/** Keys changed since the last commit; the store turns them into row upserts/deletes. */
export class Journal {
  tombstones = new Set<string>();
  suspects = new Set<string>();
  blind = new Set<string>();
  /** Node ids whose audit-seen mark changed (set, or dropped with the node). */
  seen = new Set<number>();
  listed: string[] = [];
  auditChanged = false;
  /** Set by reset(): the store wipes the view's rows before writing the rest. */
  wipe = false;

  clear(): void {
    this.tombstones.clear();
    this.suspects.clear();
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
  suspects = new SuspectSet();
  blindAdds = new Set<string>();
  blindDels = new Set<string>();
  clock = new SkewClock();
  audit: AuditContext | null = null;
  lastEventAt: number | null = null;
  readonly j = new Journal();

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

  // ---- suspects ------------------------------------------------------------------------------

  setSuspect(id: number, path: string, expiry: number, mtime: number): void {
    this.tree.setFlag(id, F_SUSPECT, true);
    this.suspects.set(path, expiry, mtime);
    this.j.suspects.add(path);
  }

  clearSuspect(id: number, path: string): boolean {
    if (id !== NO_NODE) this.tree.setFlag(id, F_SUSPECT, false);
    if (!this.suspects.delete(path)) return false;
    this.j.suspects.add(path);
    return true;
  }

  /** Marks a scanned file suspect when it is hot: age in the storage clock below the threshold (§5). */
  markIfHot(id: number, path: string, mtime: number): void {
    const hot = this.th.hotMs;
    if (hot <= 0) return;
    const age = this.watermark() - mtime;
    if (!(age < hot)) return;
    // A future mtime (negative age) would otherwise stay suspect until that date: cap at one threshold.
    const wait = Math.min(hot, Math.max(1000, hot - age));
    this.setSuspect(id, path, this.clocks.monotonic() + wait, mtime);
  }

  // ---- blind spots ---------------------------------------------------------------------------

  addBlindAddition(id: number, path: string): void {
    this.tree.setFlag(id, F_BLIND, true);
    if (!this.blindAdds.has(path)) {
      this.blindAdds.add(path);
      this.j.blind.add(path);
    }
    if (this.blindDels.delete(path)) this.j.blind.add(path);
  }

  dropBlindMarks(id: number, path: string): void {
    if (id !== NO_NODE) this.tree.setFlag(id, F_BLIND, false);
    if (this.blindAdds.delete(path)) this.j.blind.add(path);
    if (this.blindDels.delete(path)) this.j.blind.add(path);
  }

  addBlindDeletion(path: string): void {
    this.blindAdds.delete(path);
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
   * Removes a node and its subtree, dropping the suspect/addition marks of every removed path.
   * `asBlindDeletion` records each removed path as a blind-spot deletion (audit, sentinel).
   */
  removeNode(id: number, asBlindDeletion: boolean): number {
    const t = this.t;
    const needPaths = asBlindDeletion || this.suspects.size > 0 || this.blindAdds.size > 0;
    return this.tree.removeSubtree(id, (n) => {
      const f = t.flags[n]!;
      if (f & F_SEEN) this.j.seen.add(n);
      if (!needPaths) return;
      if (!asBlindDeletion && (f & (F_SUSPECT | F_BLIND)) === 0) return;
      const p = t.pathOf(n);
      if (f & F_SUSPECT && this.suspects.delete(p)) this.j.suspects.add(p);
      if (f & F_BLIND && this.blindAdds.delete(p)) this.j.blind.add(p);
      if (asBlindDeletion) this.addBlindDeletion(p);
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
