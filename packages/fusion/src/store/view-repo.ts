// SQLite persistence of one view: reads its state from fusion.db and writes each commit synchronously in one transaction.

import type Database from 'better-sqlite3';
import { F_SEEN } from '../tree/node-table.js';
import type { ViewState, Thresholds } from '../arbitration/view-state.js';
import { assembleState, type ViewRowData } from './codec/assemble.js';
import type { CommitTx, EngineClocks, FeedBounds } from '../contract.js';
import type { ChangeRecord } from '../changes/committed.js';
import type { CommitHooks, ViewPersistence, WarnFn } from './persistence.js';
import { NodeStore } from './node-codec.js';
import { FeedRepo, type FeedRetention } from './feed-repo.js';
import type { CommittedChanges } from '../changes/committed.js';

type Stmt = Database.Statement;

/** A blob of float64s (copied: SQLite blobs need not be 8-byte aligned). */
function blobF64(blob: Buffer): Float64Array {
  const a = new Float64Array(blob.length >> 3);
  blob.copy(Buffer.from(a.buffer), 0, 0, a.length << 3);
  return a;
}

export class ViewRepo implements ViewPersistence {
  readonly num: number;
  readonly #db: Database.Database;
  readonly #s: Record<string, Stmt>;
  readonly #nodes: NodeStore;
  /** The view's histogram still sits in the per-bucket table; the first write moves it. */
  #legacyClock = false;

  readonly feed: FeedRepo;
  readonly #retention: FeedRetention;

  /** Subscription rows a commit hook adds go straight into the open transaction. */
  readonly #tx: CommitTx;

  constructor(db: Database.Database, num: number, retention: FeedRetention, tx: CommitTx) {
    this.#db = db;
    this.#tx = tx;
    this.num = num;
    this.#retention = retention;
    this.#nodes = new NodeStore(db, num);
    const next = db.prepare(`SELECT feed_next FROM views WHERE num = ?`).pluck().get(num) as number | undefined;
    this.feed = new FeedRepo(db, num, next ?? 1);
    const p = (sql: string) => db.prepare(sql);
    this.#s = {
      upTomb: p(`INSERT OR REPLACE INTO tombstones (view, path, logical, physical, session) VALUES (?,?,?,?,?)`),
      delTomb: p(`DELETE FROM tombstones WHERE view = ? AND path = ?`),
      upBlind: p(`INSERT OR REPLACE INTO blind_spots (view, path, kind) VALUES (?,?,?)`),
      delBlind: p(`DELETE FROM blind_spots WHERE view = ? AND path = ?`),
      upClock: p(`INSERT OR REPLACE INTO clock_state (view, buckets, counts) VALUES (?,?,?)`),
      wipeLegacyHist: p(`DELETE FROM clock_histogram WHERE view = ?`),
      addSeen: p(`INSERT OR IGNORE INTO audit_seen (view, id) VALUES (?,?)`),
      addListed: p(`INSERT OR IGNORE INTO audit_listed (view, path) VALUES (?,?)`),
      delSeen: p(`DELETE FROM audit_seen WHERE view = ? AND id = ?`),
      wipeSeen: p(`DELETE FROM audit_seen WHERE view = ?`),
      wipeListed: p(`DELETE FROM audit_listed WHERE view = ?`),
      setAudit: p(`UPDATE views SET audit_started_at = ? WHERE num = ?`),
      setLastEvent: p(
        `UPDATE views SET last_event_at = ?, snapshot_complete = ?, last_snapshot_end = ?, last_audit_end = ?, audit_count = ?, last_realtime_at = ?, feed_next = ? WHERE num = ?`,
      ),
      setSeq: p(`UPDATE sessions SET last_batch_seq = max(last_batch_seq, ?) WHERE session_id = ?`),
      addAgent: p(`INSERT OR REPLACE INTO view_agents (view, idx, agent_id) VALUES (?,?,?)`),
      upPrincipal: p(`INSERT OR REPLACE INTO principals (view, kind, id, name) VALUES (?,?,?,?)`),
    };
  }

  commit(st: ViewState, session: { id: string; seq: number } | undefined, hooks: CommitHooks): CommittedChanges | null {
    let changes: CommittedChanges | null = null;
    this.#db.transaction(() => {
      changes = this.flush(st, session);
      if (changes !== null) hooks.inTx(changes, this.#tx);
    })();
    ViewRepo.committed(st);
    if (changes !== null) hooks.after(changes);
    return changes;
  }

  durable(): Promise<void> {
    return Promise.resolve();
  }

  readFeed(since: number, limit: number, keep: (r: ChangeRecord) => boolean, maxScan: number): Promise<{ records: ChangeRecord[]; next: number }> {
    return Promise.resolve(this.feed.read(since, limit, keep, maxScan));
  }

  feedBounds(): FeedBounds {
    return { oldest_since: this.feed.oldestSince(), latest: this.feed.next - 1 };
  }

  afterFailure(): void {
    this.feed.resync();
  }

  checkpoint(st: ViewState): void {
    this.checkpointNodes(st);
  }

  /** Writes everything the journal and the tree's touched set name, and the commit's feed entries. Call inside a transaction. */
  flush(st: ViewState, session?: { id: string; seq: number }): CommittedChanges | null {
    const s = this.#s;
    const v = this.num;
    const j = st.j;
    const t = st.t;
    if (j.wipe) this.#wipe();
    this.#nodes.write(t, st.tree.touched.list(), st.clocks.monotonic());
    for (const p of j.tombstones) {
      const ts = st.tombstones.get(p);
      if (ts) s.upTomb!.run(v, p, ts.logical, ts.physical, ts.session);
      else s.delTomb!.run(v, p);
    }
    for (const p of j.blind) {
      if (st.blindDels.has(p)) s.upBlind!.run(v, p, 'deletion');
      else s.delBlind!.run(v, p);
    }
    if (st.clock.changed) this.#writeClock(st);
    const labels = st.tree.labels;
    for (const i of labels.newAgents) s.addAgent!.run(v, i, labels.agents[i]);
    for (const [kind, id, name] of j.principals) s.upPrincipal!.run(v, kind, id, name);
    if (j.auditChanged) {
      s.wipeSeen!.run(v);
      s.wipeListed!.run(v);
      s.setAudit!.run(st.audit?.startedAt ?? null, v);
      if (st.audit !== null) {
        for (const p of st.audit.listed) s.addListed!.run(v, p);
        for (let id = 0; id < t.hwm; id++) if (t.flags[id]! & F_SEEN) s.addSeen!.run(v, id);
      }
    } else if (st.audit !== null) {
      for (const id of j.seen) {
        if (t.isLive(id) && t.flags[id]! & F_SEEN) s.addSeen!.run(v, id);
        else s.delSeen!.run(v, id);
      }
      for (const p of j.listed) s.addListed!.run(v, p);
    }
    const committed = this.feed.write(st.changes, st.clocks.physical(), this.#retention);
    const f = st.fresh;
    s.setLastEvent!.run(st.lastEventAt, f.snapshotComplete ? 1 : 0, f.lastSnapshotEnd, f.lastAuditEnd, f.auditCount, f.lastRealtimeAt, this.feed.next, v);
    if (session) s.setSeq!.run(session.seq, session.id);
    return committed;
  }

  /**
   * The histogram is one row of two blobs (at most MAX_BUCKETS × 16 bytes), rewritten whole when a
   * commit changed it: one statement however many buckets a batch touched (a row per bucket cost up
   * to two statements per event when mtimes were spread wide). Entries go in eviction order.
   */
  #writeClock(st: ViewState): void {
    const n = st.clock.counts.size;
    const buckets = new Float64Array(n);
    const counts = new Float64Array(n);
    let i = 0;
    for (const [b, c] of st.clock.entries()) {
      buckets[i] = b;
      counts[i++] = c;
    }
    this.#s.upClock!.run(this.num, Buffer.from(buckets.buffer), Buffer.from(counts.buffer));
    if (this.#legacyClock) {
      this.#s.wipeLegacyHist!.run(this.num);
      this.#legacyClock = false;
    }
  }

  /** Reads the histogram; a database written before `clock_state` existed has one row per bucket instead. */
  #readClock(): [number, number][] {
    const row = this.#db.prepare(`SELECT buckets, counts FROM clock_state WHERE view = ?`).raw(true).get(this.num) as [Buffer, Buffer] | undefined;
    if (row !== undefined) {
      const b = blobF64(row[0]);
      const c = blobF64(row[1]);
      return Array.from(b, (x, i) => [x, c[i]!] as [number, number]);
    }
    const legacy = this.#db.prepare(`SELECT bucket, count FROM clock_histogram WHERE view = ?`).raw(true).all(this.num) as [number, number][];
    this.#legacyClock = legacy.length > 0;
    return legacy;
  }

  /** Folds the node log into the chunk checkpoint (clean shutdown: the next start replays nothing). */
  checkpointNodes(st: ViewState): void {
    this.#db.transaction(() => this.#nodes.checkpoint(st.t, st.clocks.monotonic()))();
  }

  /** Called after a successful commit: the journal's content is now on disk. */
  static committed(st: ViewState): void {
    st.tree.touched.clear();
    st.changes.clear();
    st.tree.labels.newAgents = [];
    st.j.clear();
    st.clock.changed = false;
  }

  #wipe(): void {
    const v = this.num;
    this.#nodes.wipe();
    for (const table of ['tombstones', 'blind_spots', 'audit_seen', 'audit_listed']) {
      this.#db.prepare(`DELETE FROM ${table} WHERE view = ?`).run(v);
    }
    this.#db.prepare(`UPDATE views SET audit_started_at = NULL WHERE num = ?`).run(v);
  }

  /** Builds the view's state from disk: nodes in id order through raw rows, then marks, clock and audit context. */
  load(clocks: EngineClocks, th: Thresholds, warn: WarnFn): ViewState {
    const db = this.#db;
    const v = this.num;
    const row = db
      .prepare(
        `SELECT last_event_at, audit_started_at, snapshot_complete, last_snapshot_end, last_audit_end, audit_count, last_realtime_at FROM views WHERE num = ?`,
      )
      .get(v) as (Omit<ViewRowData, 'snapshot_complete'> & { snapshot_complete: number | null }) | undefined;
    const rows = <T>(sql: string) => db.prepare(sql).raw(true).iterate(v) as IterableIterator<T>;
    return assembleState(
      {
        nodes: this.#nodes.read(clocks.monotonic()),
        tombstones: rows<[string, number, number, string | null]>(`SELECT path, logical, physical, session FROM tombstones WHERE view = ?`),
        blindDeletions: (function* () {
          for (const [p] of rows<[string]>(`SELECT path FROM blind_spots WHERE view = ? AND kind = 'deletion'`)) yield p;
        })(),
        clock: this.#readClock(),
        agents: rows<[number, string]>(`SELECT idx, agent_id FROM view_agents WHERE view = ?`),
        principals: rows<[string, number, string]>(`SELECT kind, id, name FROM principals WHERE view = ?`),
        row: row && { ...row, snapshot_complete: row.snapshot_complete === 1, audit_count: row.audit_count ?? 0 },
        auditListed: function* () {
          for (const [p] of rows<[string]>(`SELECT path FROM audit_listed WHERE view = ?`)) yield p;
        },
        auditSeen: function* () {
          for (const [id] of rows<[number]>(`SELECT id FROM audit_seen WHERE view = ?`)) yield id;
        },
      },
      clocks,
      th,
      (msg, f) => warn(msg, { view_num: v, ...f }),
    );
  }
}
