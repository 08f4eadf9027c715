// PostgreSQL persistence of one owned view: commits queued and written in order in fenced transactions; the feed read back.

import type pg from 'pg';
import { inTransaction } from './pg-errors.js';
import type { Thresholds, ViewState } from '../../arbitration/view-state.js';
import { CommittedChanges, type ChangeRecord } from '../../changes/committed.js';
import type { CommitTx, EngineClocks, FeedBounds, NewDelivery, SessionRecord } from '../../contract.js';
import { assembleState, type StoredView } from '../codec/assemble.js';
import { collectFromRows, type FeedRow } from '../codec/feed-blobs.js';
import { CHUNK_SHIFT, decodeNodes, logHwm, type ChunkRow, type LogRow } from '../codec/node-blobs.js';
import type { FeedRetention } from '../feed-repo.js';
import type { CommitHooks, ViewPersistence, WarnFn } from '../persistence.js';
import { collectCommit, emptyCommit, FEED_COLS, NODE_COLS, pgFeedCols, pgNodeCols, writeCommit, type PgCommit } from './pg-commit.js';
import { fastCommit, isSimple } from './pg-fast-commit.js';

/** The lease this node holds on the view; every write checks it inside its transaction. */
export interface LeaseRef {
  view: string;
  owner: string;
  epoch: number;
}

/** Raised inside a write when the lease row no longer names this node and epoch: another node owns the view. */
export class FencedError extends Error {
  constructor(view: string, epoch: number) {
    super(`view '${view}' is owned by another node now (epoch ${epoch} is stale); this node stops serving it`);
    this.name = 'FencedError';
  }
}

/** Log records that make the next commit fold the log into chunks (at least; a quarter of the live nodes when larger). */
export const FOLD = { minRecords: 65_536 };
const PRUNE_EVERY_COMMITS = 256;

/**
 * Fencing: a write transaction first takes `FOR SHARE` on the view's lease row and checks owner and epoch.
 * A takeover updates that row, so it waits for a write in progress and then loads a state that contains
 * it; a node whose epoch is stale cannot commit at all. Commits are written one at a time in order; the
 * first failure poisons the queue (memory is now ahead of the database): every later `durable()` rejects
 * and `onFailure` tells the owner to drop the view and load it again.
 */
export class PgViewPersistence implements ViewPersistence {
  readonly num: number;
  readonly #pool: pg.Pool;
  readonly #lease: LeaseRef;
  readonly #retention: FeedRetention;
  readonly #onFailure: (err: Error) => void;
  #stored: StoredView | null;
  #tail: Promise<void> = Promise.resolve();
  #failed: Error | null = null;
  /** Feed cursors: the next one to hand out, and the last one known durable. */
  #next: number;
  #durableLatest: number;
  #oldestSince: number;
  #dirty: Set<number>;
  #logRecords: number;
  #commits = 0;

  private constructor(pool: pg.Pool, num: number, lease: LeaseRef, retention: FeedRetention, onFailure: (err: Error) => void, stored: StoredView, feed: { next: number; oldest: number | null }, dirty: Set<number>, logRecords: number) {
    this.#pool = pool;
    this.num = num;
    this.#lease = lease;
    this.#retention = retention;
    this.#onFailure = onFailure;
    this.#stored = stored;
    this.#next = feed.next;
    this.#durableLatest = feed.next - 1;
    this.#oldestSince = (feed.oldest ?? feed.next) - 1;
    this.#dirty = dirty;
    this.#logRecords = logRecords;
  }

  /** Reads everything the view needs (one repeatable-read snapshot), ready for load(). */
  static async fetch(pool: pg.Pool, viewId: string, lease: LeaseRef, retention: FeedRetention, mono: number, onFailure: (err: Error) => void): Promise<PgViewPersistence> {
    // One repeatable-read snapshot for every row; decoding happens after it is closed.
    const { row, chunks, logs, tombstones, blind, agents, principals, listed, seen, oldest, top } = await inTransaction(pool, async (c) => {
      const vr = await c.query(`SELECT * FROM views WHERE id = $1`, [viewId]);
      if (vr.rowCount === 0) throw new Error(`view '${viewId}' has no row in PostgreSQL`);
      const row = vr.rows[0] as Record<string, unknown> & { num: number };
      const v = row.num;
      const arr = async <T>(sql: string): Promise<T[]> => (await c.query({ text: sql, values: [v], rowMode: 'array' })).rows as T[];
      // names come back as bytea (see pg-schema.ts): the codec wants the joined string.
      const chunks = (await arr<ChunkRow>(`SELECT chunk, count, ${NODE_COLS} FROM node_chunks WHERE view = $1 ORDER BY chunk`)).map(textAt(9));
      const logs = (await arr<LogRow>(`SELECT count, ids, ${NODE_COLS} FROM node_log WHERE view = $1 ORDER BY seq`)).map(textAt(9));
      const tombstones = await arr<[string, number, number, string | null]>(`SELECT path, logical, physical, session FROM tombstones WHERE view = $1`);
      const blind = await arr<[string]>(`SELECT path FROM blind_deletions WHERE view = $1`);
      const agents = await arr<[number, string]>(`SELECT idx, agent_id FROM view_agents WHERE view = $1`);
      const principals = await arr<[string, number, string]>(`SELECT kind, id, name FROM principals WHERE view = $1`);
      const listed = await arr<[string]>(`SELECT path FROM audit_listed WHERE view = $1`);
      const seen = await arr<[number]>(`SELECT id FROM audit_seen WHERE view = $1`);
      const oldest = (await arr<[number | null]>(`SELECT min(first) FROM feed WHERE view = $1`))[0]![0];
      const top = (await arr<[number | null]>(`SELECT max(first + count) FROM feed WHERE view = $1`))[0]![0];
      return { row, chunks, logs, tombstones, blind, agents, principals, listed, seen, oldest, top };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const hwm = chunks.reduce((m, r) => Math.max(m, (r[0] << CHUNK_SHIFT) + r[1]), 0);
    const nodes = decodeNodes(chunks, hwm, logs, logHwm(logs.map((r) => r[1])), mono);
    const clock: [number, number][] = [];
    if (row.clock_buckets && row.clock_counts) {
      const b = f64(row.clock_buckets as Buffer);
      const n = f64(row.clock_counts as Buffer);
      b.forEach((x, i) => clock.push([x, n[i]!]));
    }
    const stored: StoredView = {
      nodes,
      tombstones,
      blindDeletions: blind.map((r) => r[0]),
      clock,
      agents,
      principals,
      row: {
        last_event_at: row.last_event_at as number | null,
        audit_started_at: row.audit_started_at as number | null,
        snapshot_complete: row.snapshot_complete as boolean,
        last_snapshot_end: row.last_snapshot_end as number | null,
        last_audit_end: row.last_audit_end as number | null,
        audit_count: row.audit_count as number,
        last_realtime_at: row.last_realtime_at as number | null,
      },
      auditListed: () => listed.map((r) => r[0]),
      auditSeen: () => seen.map((r) => r[0]),
    };
    const next = Math.max(Number(row.feed_next ?? 1), top ?? 1, 1);
    return new PgViewPersistence(pool, row.num, lease, retention, onFailure, stored, { next, oldest }, nodes.dirty, nodes.logRecords);
  }

  get failed(): Error | null {
    return this.#failed;
  }

  load(clocks: EngineClocks, th: Thresholds, warn: WarnFn): ViewState {
    // Only the state read by fetch() is trustworthy: after a failure the owner fetches again.
    if (this.#stored === null || this.#failed) throw new Error(`view '${this.#lease.view}' must be loaded again from PostgreSQL`);
    const st = assembleState(this.#stored, clocks, th, warn);
    this.#stored = null;
    return st;
  }

  commit(st: ViewState, session: { id: string; seq: number } | undefined, hooks: CommitHooks): CommittedChanges | null {
    if (this.#failed) throw this.#failed;
    for (const id of st.tree.touched) this.#dirty.add(id >> CHUNK_SHIFT);
    this.#logRecords += st.tree.touched.size;
    const fold = this.#logRecords >= Math.max(FOLD.minRecords, st.t.live >> 2) ? this.#dirty : null;
    const c = collectCommit(st, fold, this.#next);
    if (fold !== null) {
      this.#dirty = new Set();
      this.#logRecords = 0;
    }
    if (session) c.session = session;
    let changes: CommittedChanges | null = null;
    if (c.feed !== null) {
      changes = CommittedChanges.take(st.changes, c.feed.first, c.feed.at);
      this.#next += c.feed.count;
      hooks.inTx(changes, this.#txFor(c));
    }
    c.changes = changes;
    st.tree.touched.clear();
    st.tree.labels.newAgents = [];
    st.j.clear();
    st.clock.changed = false;
    this.#enqueue(c, hooks);
    return changes;
  }

  /** Sessions of the view go through the same ordered queue, so a batch's seq update never precedes its session's row. */
  saveSession(rec: SessionRecord): void {
    const c = this.#bare();
    c.sessionRows.push({ ...rec });
    this.#enqueue(c, null);
  }

  deleteSession(id: string): void {
    const c = this.#bare();
    c.sessionDeletes.push(id);
    this.#enqueue(c, null);
  }

  #bare(): PgCommit {
    return emptyCommit(null);
  }

  #txFor(c: PgCommit): CommitTx {
    return {
      addPending: (subId, path, cursor) => void c.pending.push([subId, path, cursor]),
      enqueueDelivery: (d: NewDelivery) => void c.deliveries.push(d),
    };
  }

  #enqueue(c: PgCommit, hooks: CommitHooks | null): void {
    this.#tail = this.#tail.then(async () => {
      if (this.#failed) throw this.#failed;
      try {
        await this.#write(c);
      } catch (err) {
        this.#failed = err as Error;
        this.#onFailure(err as Error);
        throw err;
      }
      if (c.feed) this.#durableLatest = c.feed.first + c.feed.count - 1;
      if (c.changes && hooks) hooks.after(c.changes);
    });
    // A rejection is reported through durable() and onFailure; keep it from being "unhandled" here.
    this.#tail.catch(() => undefined);
  }

  async #write(c: PgCommit): Promise<void> {
    const prune = c.feed !== null && ++this.#commits % PRUNE_EVERY_COMMITS === 0;
    if (isSimple(c) && !prune) {
      const ok = await fastCommit(this.#pool, this.num, this.#lease, c, c.log ? pgNodeCols(c.log.cols) : null, c.feed ? pgFeedCols(c.feed.blobs) : null);
      if (!ok) throw new FencedError(this.#lease.view, this.#lease.epoch);
      return;
    }
    await inTransaction(this.#pool, async (q) => {
      const lease = await q.query(`SELECT owner, epoch FROM view_leases WHERE view = $1 FOR SHARE`, [this.#lease.view]);
      const l = lease.rows[0] as { owner: string | null; epoch: number } | undefined;
      if (!l || l.owner !== this.#lease.owner || Number(l.epoch) !== this.#lease.epoch) throw new FencedError(this.#lease.view, this.#lease.epoch);
      await writeCommit(q, this.num, c);
      if (prune) await this.#prune(q, c.feed!.at);
    });
  }

  async #prune(q: pg.ClientBase, now: number): Promise<void> {
    const keepFrom = this.#next - this.#retention.entries;
    await q.query(`DELETE FROM feed WHERE view = $1 AND first < $2 AND first + count <= $2`, [this.num, keepFrom]);
    await q.query(`DELETE FROM feed WHERE view = $1 AND at < $2`, [this.num, now - this.#retention.hours * 3_600_000]);
    const r = await q.query(`SELECT min(first) AS m FROM feed WHERE view = $1`, [this.num]);
    const m = (r.rows[0] as { m: number | null }).m;
    this.#oldestSince = (m ?? this.#next) - 1;
  }

  durable(): Promise<void> {
    return this.#tail;
  }

  async readFeed(since: number, limit: number, keep: (r: ChangeRecord) => boolean, maxScan: number): Promise<{ records: ChangeRecord[]; next: number }> {
    const acc = { records: [] as ChangeRecord[], next: since, scanned: 0 };
    // Only durable entries: a reader never sees what a failed commit might take back.
    const upTo = this.#durableLatest;
    for (let from = since; from < upTo; ) {
      const r = await this.#pool.query({
        text: `SELECT first, count, at, ${FEED_COLS} FROM feed WHERE view = $1 AND first >= (SELECT coalesce(max(first), 0) FROM feed WHERE view = $1 AND first <= $2 + 1) ORDER BY first LIMIT 64`,
        values: [this.num, from],
        rowMode: 'array',
      });
      const rows = (r.rows as FeedRow[]).map(textAt(14)).filter((x) => x[0] + x[1] - 1 > from && x[0] <= upTo);
      if (rows.length === 0) break;
      if (collectFromRows(rows, since, limit, (x) => x.cursor <= upTo && keep(x), maxScan, acc)) break;
      const last = rows[rows.length - 1]!;
      from = last[0] + last[1] - 1;
    }
    return { records: acc.records, next: Math.min(Math.max(acc.next, since), Math.max(since, upTo)) };
  }

  feedBounds(): FeedBounds {
    return { oldest_since: this.#oldestSince, latest: this.#durableLatest };
  }

  afterFailure(): void {
    this.#failed ??= new Error(`view '${this.#lease.view}' failed to commit; it is loaded again from PostgreSQL`);
    this.#onFailure(this.#failed);
  }

  /** Nothing to fold on close: the log is replayed by whichever node loads the view next. */
  checkpoint(): void {}
}

/** Turns the bytea at `i` back into the string the codecs expect. */
function textAt<T extends unknown[]>(i: number): (row: T) => T {
  return (row) => {
    const v = row[i];
    if (Buffer.isBuffer(v)) row[i] = v.toString('utf8');
    return row;
  };
}

function f64(b: Buffer): Float64Array {
  const a = new Float64Array(b.length >> 3);
  b.copy(Buffer.from(a.buffer));
  return a;
}
