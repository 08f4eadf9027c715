// ViewEngine: applies batches and phases to the in-memory state, then commits the change set in one SQLite transaction.

import type {
  BlindSpotKind,
  FileEvent,
  HistogramQuery,
  MessageSource,
  Page,
  SearchQuery,
  SentinelResult,
  TopItem,
  TopQuery,
  TreeNode,
  UsageItem,
  UsageQuery,
} from '@fustor/protocol';
import { LISTING_HEAD, ListingEventCursor, pageOf, ROW_WIDTH, type UpsertEvent } from '@fustor/protocol';
import { ConflictError, NotFoundError } from '../errors.js';
import { ACCEPTED, applyDelete, applyFreshSnapshotRow, applyUpsert, beginListingRows, freshRowsAhead } from '../arbitration/apply-events.js';
import { applySentinel, clearBlindSpots, endAudit, expireSuspects, startAudit } from '../arbitration/phases.js';
import { freshState, ViewState, type Thresholds } from '../arbitration/view-state.js';
import { F_BLIND, F_SUSPECT, NO_NODE, ROOT } from '../tree/node-table.js';
import { listTree } from '../tree/listing.js';
import { searchTreeAsync } from '../tree/search.js';
import type { CommitHooks, ViewPersistence } from '../store/persistence.js';
import { searchDeletions } from '../tree/deletion-search.js';
import type { TreeIndex } from '../tree/tree-index.js';
import { histogramReport } from '../reports/histogram.js';
import { topReport } from '../reports/top.js';
import { usageReport } from '../reports/usage.js';
import type { ChangeRecord, CommittedChanges } from '../changes/committed.js';
import { sourceCode, type Labels } from '../tree/node-meta.js';
import type {
  ApplyContext,
  ApplyResult,
  CommitListener,
  EngineClocks,
  FeedBounds,
  EngineFreshness,
  EngineStats,
  HistogramAnswer,
  TreeListOptions,
  ViewConfig,
  ViewCounters,
  ViewEngine,
} from '../contract.js';

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export function thresholdsOf(c: ViewConfig): Thresholds {
  return { hotMs: c.hot_file_threshold_sec * 1000, tombstoneTtlMs: c.tombstone_ttl_sec * 1000 };
}

/**
 * Commit discipline: every mutation runs on the in-memory state first, recording what it touched;
 * the touched rows are then written in one transaction. If anything throws before the commit
 * completes, the in-memory state is rebuilt from the database, so memory never runs ahead of disk.
 */
export class ViewEngineImpl implements ViewEngine {
  readonly id: string;
  #config: ViewConfig;
  #st: ViewState;
  readonly #p: ViewPersistence;
  readonly #clocks: EngineClocks;
  readonly #log: LogFn;

  readonly #listeners: ReadonlySet<CommitListener>;

  readonly #hooks: CommitHooks;

  constructor(persistence: ViewPersistence, config: ViewConfig, clocks: EngineClocks, log: LogFn, listeners: ReadonlySet<CommitListener>) {
    this.id = config.id;
    this.#config = Object.freeze({ ...config });
    this.#p = persistence;
    this.#clocks = clocks;
    this.#log = log;
    this.#listeners = listeners;
    this.#hooks = {
      inTx: (changes, tx) => {
        for (const l of this.#listeners) l.inTransaction?.(this, changes, tx);
      },
      after: (changes) => this.#notify(changes),
    };
    this.#st = this.#load();
  }

  get config(): ViewConfig {
    return this.#config;
  }

  /** New thresholds apply to marks set from now on. */
  reconfigure(config: ViewConfig): void {
    this.#config = Object.freeze({ ...config });
    this.#st.th = thresholdsOf(config);
  }

  #load(): ViewState {
    return this.#p.load(this.#clocks, thresholdsOf(this.#config), (msg, f) => this.#log('warn', msg, { view: this.id, ...f }));
  }

  /** Runs `mutate` on the state and commits what it touched; on any failure memory is reloaded from disk. */
  #commit<T>(mutate: (st: ViewState) => T, session?: { id: string; seq: number }): T {
    try {
      const out = mutate(this.#st);
      // mutate may swap the state (reset), so commit whatever is current now.
      this.#p.commit(this.#st, session, this.#hooks);
      return out;
    } catch (err) {
      this.#log('error', 'view change failed; reloading the view from the database', { view: this.id, error: String(err) });
      try {
        this.#p.afterFailure();
        this.#st = this.#load();
      } catch (reloadErr) {
        this.#log('error', 'reloading the view failed', { view: this.id, error: String(reloadErr) });
      }
      throw err;
    }
  }

  durable(): Promise<void> {
    return this.#p.durable();
  }

  /** Live readers must never break a commit that is already durable. */
  #notify(changes: CommittedChanges): void {
    for (const l of this.#listeners) {
      try {
        l.committed?.(this, changes);
      } catch (err) {
        this.#log('error', 'a change-feed listener failed', { view: this.id, error: String(err) });
      }
    }
  }

  applyBatch(source: MessageSource, events: Iterable<FileEvent>, ctx: ApplyContext): ApplyResult {
    return this.#commit(
      (st) => {
        const now = this.#clocks.physical();
        let ignored = 0;
        let n = 0;
        const agent = ctx.agent_id ? st.tree.labels.agentIndex(ctx.agent_id) : 0;
        st.changes.src = sourceCode(source);
        st.changes.agent = agent;
        // Scan batches sample no clock, so their watermark holds for the whole batch.
        st.pinWatermark(source !== 'realtime');
        // A compact batch says where each listing's rows begin: the listing fast path (beginListingRows).
        const lc = events instanceof ListingEventCursor ? events : null;
        const snapshot = source === 'snapshot';
        try {
          for (const ev of events) {
            n++;
            if (lc !== null && lc.row <= 0) beginListingRows(st, lc.row === 0 ? lc.listing! : null);
            const r =
              lc !== null && lc.row >= 0 && snapshot && freshRowsAhead(st)
                ? applyFreshSnapshotRow(st, ev as UpsertEvent, lc.listing![LISTING_HEAD + lc.row * ROW_WIDTH] as string, agent)
                : ev.op === 'upsert'
                  ? applyUpsert(st, source, ev, now, ctx.session_id, agent)
                  : applyDelete(st, source, ev, now, ctx.session_id);
            if (r !== ACCEPTED) ignored++;
          }
        } finally {
          st.pinWatermark(false);
          beginListingRows(st, null);
        }
        st.lastEventAt = now;
        if (source === 'realtime') st.fresh.lastRealtimeAt = now;
        // Expiries are Fusion's own doing, not the batch's.
        st.changes.src = 0;
        st.changes.agent = 0;
        expireSuspects(st);
        return { accepted: n - ignored, ignored };
      },
      { id: ctx.session_id, seq: ctx.batch_seq },
    );
  }

  snapshotStart(clear: boolean): void {
    if (!clear) return;
    this.#commit((st) => clearBlindSpots(st));
  }

  snapshotEnd(complete: boolean): void {
    this.#log('debug', 'snapshot ended', { view: this.id, complete });
    if (!complete) return;
    this.#commit((st) => {
      st.fresh.snapshotComplete = true;
      st.fresh.lastSnapshotEnd = this.#clocks.physical();
    });
  }

  auditStart(): void {
    this.#commit((st) => startAudit(st, this.#clocks.physical()));
  }

  auditEnd(complete: boolean): { deleted: number } {
    if (this.#st.audit === null) {
      throw new ConflictError(`view '${this.id}' has no audit in progress`, { view: this.id });
    }
    const deleted = this.#commit((st) => {
      const now = this.#clocks.physical();
      const n = endAudit(st, complete, now);
      if (complete) {
        st.fresh.lastAuditEnd = now;
        st.fresh.auditCount++;
      }
      return n;
    });
    return { deleted };
  }

  sentinelTasks(limit: number): string[] {
    this.tick();
    const st = this.#st;
    return st.heap.earliest(st.t, limit).map((id) => st.t.pathOf(id));
  }

  sentinelFeedback(results: readonly SentinelResult[]): { cleared: number; renewed: number; deleted: number } {
    return this.#commit((st) => applySentinel(st, results));
  }

  tick(): void {
    const next = this.#st.heap.nextExpiry(this.#st.t);
    if (next === undefined || next > this.#clocks.monotonic()) return;
    this.#commit((st) => expireSuspects(st));
  }

  setPrincipals(users: Readonly<Record<string, string>>, groups: Readonly<Record<string, string>>): { users: number; groups: number } {
    const labels = this.#st.tree.labels;
    const fresh = (map: Map<number, string>, from: Readonly<Record<string, string>>) =>
      Object.entries(from).filter(([id, name]) => map.get(Number(id)) !== name);
    const u = fresh(labels.users, users);
    const g = fresh(labels.groups, groups);
    if (u.length === 0 && g.length === 0) return { users: 0, groups: 0 };
    this.#commit((st) => {
      const l = st.tree.labels;
      for (const [id, name] of u) {
        l.users.set(Number(id), name);
        st.j.principals.push(['user', Number(id), name]);
      }
      for (const [id, name] of g) {
        l.groups.set(Number(id), name);
        st.j.principals.push(['group', Number(id), name]);
      }
    });
    return { users: u.length, groups: g.length };
  }

  reset(): void {
    this.#commit((st) => {
      const fresh = new ViewState(this.#clocks, st.th);
      fresh.clock = st.clock;
      fresh.lastEventAt = st.lastEventAt;
      fresh.tree.labels = st.tree.labels;
      fresh.changes.reset();
      // The view has no snapshot any more: answers are partial until the next complete one.
      fresh.fresh = { ...freshState(), lastRealtimeAt: st.fresh.lastRealtimeAt };
      fresh.j.wipe = true;
      this.#st = fresh;
      return undefined;
    });
  }

  /** Writes the node checkpoint so the next open replays no log (called on clean close). */
  checkpoint(): void {
    try {
      this.#p.checkpoint(this.#st);
    } catch (err) {
      this.#log('warn', 'node checkpoint failed; the log will be replayed at next start', { view: this.id, error: String(err) });
    }
  }

  // ---- queries -------------------------------------------------------------------------------

  tree(path: string, opts: TreeListOptions): TreeNode | null {
    this.tick();
    const id = this.#st.t.lookup(path);
    if (id === NO_NODE) return null;
    return listTree(this.#st.tree, id, path, opts);
  }

  /** consumers.md §3, except can_realtime (a property of the live sessions, added by the server). */
  freshness(): EngineFreshness {
    const f = this.#st.fresh;
    const newest = Math.max(f.lastRealtimeAt ?? -Infinity, f.lastAuditEnd ?? -Infinity);
    return {
      snapshot_complete: f.snapshotComplete,
      last_snapshot_end_ms: f.lastSnapshotEnd,
      last_audit_end_ms: f.lastAuditEnd,
      audit_count: f.auditCount,
      is_auditing: this.#st.audit !== null,
      staleness_ms: newest === -Infinity ? null : Math.max(0, this.#clocks.physical() - newest),
    };
  }

  stats(path: string): EngineStats | null {
    this.tick();
    const st = this.#st;
    const t = st.t;
    const id = t.lookup(path);
    if (id === NO_NODE) return null;
    const watermark = st.watermark();
    let file_count: number, dir_count: number, total_size: number, latest: number, suspect_count: number, blind: number;
    if (t.isDir(id)) {
      const a = st.tree.aggregates(id);
      ({ file_count, dir_count, total_size, suspect_count } = a);
      // The directory's own mtime counts: a folder just created (still empty) or one a file was just
      // removed from is being worked on, and must not read as stable. 0 is "unknown" (an implied ancestor).
      const own = t.mtime[id]!;
      latest = own > 0 ? Math.max(a.latest_mtime, own) : a.latest_mtime;
      blind = a.blind_count + this.#deletionsUnder(path);
    } else {
      // A file has no descendants; its stats describe the file itself, which is what "is it done?" asks.
      file_count = 1;
      dir_count = 0;
      total_size = t.size[id]!;
      latest = t.mtime[id]!;
      suspect_count = t.flags[id]! & F_SUSPECT ? 1 : 0;
      blind = t.flags[id]! & F_BLIND ? 1 : 0;
    }
    const latest_mtime_ms = latest === -Infinity ? null : latest;
    const fresh = this.freshness();
    // Before the first complete snapshot the counts may be incomplete: never call that stable.
    const stable = fresh.snapshot_complete && suspect_count === 0 && (latest_mtime_ms === null || watermark - latest_mtime_ms > st.th.hotMs);
    return {
      ...fresh,
      partial: !fresh.snapshot_complete,
      path,
      file_count,
      dir_count,
      total_size,
      latest_mtime_ms,
      suspect_count,
      blind_spot_count: blind,
      stable,
      watermark_ms: watermark,
    };
  }

  #deletionsUnder(path: string): number {
    const dels = this.#st.blindDels;
    if (path === '/' || dels.size === 0) return dels.size;
    const prefix = path + '/';
    let n = 0;
    for (const p of dels) if (p.startsWith(prefix)) n++;
    return n;
  }

  counters(): ViewCounters {
    this.tick();
    const st = this.#st;
    const a = st.tree.aggregates(ROOT);
    return {
      file_count: a.file_count,
      dir_count: a.dir_count,
      total_size: a.total_size,
      suspect_count: st.suspectCount(),
      blind_spot_count: st.blindAdditionCount() + st.blindDels.size,
      tombstone_count: st.tombstones.size,
      last_event_at_ms: st.lastEventAt,
      ...this.freshness(),
    };
  }

  watermark(): number {
    return this.#st.watermark();
  }

  suspects(page: number, pageSize: number, under?: string): Page<{ path: string; mtime_ms: number; expires_in_ms: number }> {
    this.tick();
    const mono = this.#clocks.monotonic();
    const st = this.#st;
    const t = st.t;
    const prefix = under === undefined || under === '/' ? null : under + '/';
    const rows = st
      .flagged(F_SUSPECT)
      .map((id) => ({ id, path: t.pathOf(id) }))
      .filter((r) => prefix === null || r.path === under || r.path.startsWith(prefix))
      .sort((a, b) => t.sExpiry[a.id]! - t.sExpiry[b.id]! || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const from = (page - 1) * pageSize;
    const items = rows.slice(from, from + pageSize).map((r) => ({
      path: r.path,
      mtime_ms: t.sMtime[r.id]!,
      expires_in_ms: Math.max(0, t.sExpiry[r.id]! - mono),
    }));
    return pageOf(items, rows.length, page, pageSize);
  }

  blindSpots(kind: BlindSpotKind | undefined, page: number, pageSize: number): Page<{ path: string; kind: BlindSpotKind }> {
    const st = this.#st;
    const items: { path: string; kind: BlindSpotKind }[] = [];
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    if (kind !== 'deletion') {
      for (const p of st.flagged(F_BLIND).map((id) => st.t.pathOf(id)).sort(cmp)) items.push({ path: p, kind: 'addition' });
    }
    if (kind !== 'addition') for (const p of [...st.blindDels].sort(cmp)) items.push({ path: p, kind: 'deletion' });
    const from = (page - 1) * pageSize;
    return pageOf(items.slice(from, from + pageSize), items.length, page, pageSize);
  }

  changes(since: number, limit: number, keep: (r: ChangeRecord) => boolean, maxScan: number): Promise<{ records: ChangeRecord[]; next: number }> {
    return this.#p.readFeed(since, limit, keep, maxScan);
  }

  feedBounds(): FeedBounds {
    return this.#p.feedBounds();
  }

  get labels(): Labels {
    return this.#st.tree.labels;
  }

  /** Glob search (protocol.md); a scope path that does not exist is a 404. Yields to the event loop between slices. */
  async search(query: SearchQuery): Promise<Page<TreeNode>> {
    this.tick();
    // Deletions are paths, not nodes: answered from the blind-spot set (the scope need not exist).
    if (query.blind_spot === 'deletion') return searchDeletions(this.#st.blindDels, query);
    const page = await searchTreeAsync(this.#st.tree, query.path, query);
    if (page === null) throw new NotFoundError(`path '${query.path}' does not exist in view '${this.id}'`);
    return page;
  }

  // ---- reports (consumers.md §2): async, sliced; see reports/subtree-slices.ts for what a change mid-scan does

  /** The index and node a report scans; a path that does not exist is a 404. */
  #scope(path: string): { ix: TreeIndex; id: number } {
    this.tick();
    const ix = this.#st.tree;
    const id = ix.t.lookup(path);
    if (id === NO_NODE) throw new NotFoundError(`path '${path}' does not exist in view '${this.id}'`);
    return { ix, id };
  }

  async usage(q: UsageQuery): Promise<Page<UsageItem>> {
    const { ix, id } = this.#scope(q.path);
    return usageReport(ix, id, q.path, { by: q.by, page: q.page, page_size: q.page_size });
  }

  async top(q: TopQuery): Promise<TopItem[]> {
    const { ix, id } = this.#scope(q.path);
    return topReport(ix, id, q.path, q);
  }

  async histogram(q: HistogramQuery): Promise<HistogramAnswer> {
    const { ix, id } = this.#scope(q.path);
    const watermark = this.#st.watermark();
    const h = await histogramReport(ix, id, q.path, { of: q.of, watermark });
    return { path: q.path, of: q.of, watermark_ms: watermark, ...h };
  }

  /** For tests and the bench: the state object (read-only use). */
  get state(): ViewState {
    return this.#st;
  }
}
