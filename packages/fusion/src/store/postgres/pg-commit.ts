// One commit for PostgreSQL: collected synchronously from the view's state, written later in one fenced transaction.

import type pg from 'pg';
import type { ViewState } from '../../arbitration/view-state.js';
import type { CommittedChanges } from '../../changes/committed.js';
import type { NewDelivery, SessionRecord } from '../../contract.js';
import { F_SEEN } from '../../tree/node-table.js';
import { CHUNK, encodeChunk, encodeLogRecord, type NodeBlobs } from '../codec/node-blobs.js';
import { encodeFeedBlobs, type FeedBlobs } from '../codec/feed-blobs.js';

export interface PgCommit {
  wipe: boolean;
  log: { count: number; ids: Buffer; cols: NodeBlobs } | null;
  /** Fold: the chunks the log touched rewritten from memory, chunks past the end dropped, the view's log emptied. */
  fold: { chunks: Array<{ chunk: number; count: number; cols: NodeBlobs }>; chunkEnd: number } | null;
  tombUp: Array<[string, number, number, string | null]>;
  tombDel: string[];
  blindUp: string[];
  blindDel: string[];
  clock: [Buffer, Buffer] | null;
  agents: Array<[number, string]>;
  principals: Array<['user' | 'group', number, string]>;
  audit: { reset: boolean; startedAt: number | null; listed: string[]; seenAdd: number[]; seenDel: number[] } | null;
  /** The view row's scalars; null for a commit that only carries session rows. */
  view: [number | null, boolean, number | null, number | null, number, number | null, number] | null;
  session: { id: string; seq: number } | null;
  sessionRows: SessionRecord[];
  sessionDeletes: string[];
  feed: { first: number; count: number; at: number; blobs: FeedBlobs } | null;
  pending: Array<[string, string, number]>;
  deliveries: NewDelivery[];
  changes: CommittedChanges | null;
}

export function emptyCommit(view: PgCommit['view']): PgCommit {
  return {
    wipe: false, log: null, fold: null, tombUp: [], tombDel: [], blindUp: [], blindDel: [], clock: null, agents: [], principals: [], audit: null,
    view, session: null, sessionRows: [], sessionDeletes: [], feed: null, pending: [], deliveries: [], changes: null,
  };
}

/** Everything the state's journal names, as values (the state may move on before the write happens). */
export function collectCommit(st: ViewState, fold: Set<number> | null, feedFirst: number): PgCommit {
  const j = st.j;
  const t = st.t;
  const mono = st.clocks.monotonic();
  const f = st.fresh;
  const c = emptyCommit([st.lastEventAt, f.snapshotComplete, f.lastSnapshotEnd, f.lastAuditEnd, f.auditCount, f.lastRealtimeAt, feedFirst + st.changes.length]);
  c.wipe = j.wipe;
  const touched = st.tree.touched.list(); // encoded here, before the set is cleared
  if (touched.length > 0) c.log = encodeLogRecord(t, touched, mono);
  if (fold !== null) {
    const chunkEnd = Math.ceil(t.hwm / CHUNK);
    c.fold = { chunks: [], chunkEnd };
    for (let k = 0; k < chunkEnd; k++) {
      if (!fold.has(k)) continue;
      const e = encodeChunk(t, k, mono);
      if (e) c.fold.chunks.push({ chunk: k, ...e });
    }
  }
  for (const p of j.tombstones) {
    const ts = st.tombstones.get(p);
    if (ts) c.tombUp.push([p, ts.logical, ts.physical, ts.session]);
    else c.tombDel.push(p);
  }
  for (const p of j.blind) (st.blindDels.has(p) ? c.blindUp : c.blindDel).push(p);
  if (st.clock.changed) {
    const entries = [...st.clock.entries()];
    c.clock = [Buffer.from(Float64Array.from(entries, (e) => e[0]).buffer), Buffer.from(Float64Array.from(entries, (e) => e[1]).buffer)];
  }
  const labels = st.tree.labels;
  for (const i of labels.newAgents) c.agents.push([i, labels.agents[i]!]);
  c.principals = [...j.principals];
  if (j.auditChanged) {
    const seen: number[] = [];
    if (st.audit !== null) for (let id = 0; id < t.hwm; id++) if (t.flags[id]! & F_SEEN) seen.push(id);
    c.audit = { reset: true, startedAt: st.audit?.startedAt ?? null, listed: st.audit ? [...st.audit.listed] : [], seenAdd: seen, seenDel: [] };
  } else if (st.audit !== null && (j.seen.size > 0 || j.listed.length > 0)) {
    const add: number[] = [];
    const del: number[] = [];
    for (const id of j.seen) (t.isLive(id) && t.flags[id]! & F_SEEN ? add : del).push(id);
    c.audit = { reset: false, startedAt: st.audit.startedAt, listed: [...j.listed], seenAdd: add, seenDel: del };
  }
  if (st.changes.length > 0) c.feed = { first: feedFirst, count: st.changes.length, at: st.clocks.physical(), blobs: encodeFeedBlobs(st.changes) };
  return c;
}

/** Runs one collected commit inside an open transaction on `q` (the caller began it and checked the lease). */
export async function writeCommit(q: pg.ClientBase, v: number, c: PgCommit): Promise<void> {
  if (c.wipe) {
    for (const table of ['node_chunks', 'node_log', 'tombstones', 'blind_deletions', 'audit_seen', 'audit_listed']) await q.query(`DELETE FROM ${table} WHERE view = $1`, [v]);
    await q.query(`UPDATE views SET audit_started_at = NULL WHERE num = $1`, [v]);
  }
  if (c.log) await q.query(`INSERT INTO node_log (view, count, ids, ${NODE_COLS}) VALUES ($1,$2,$3,${params(4, 14)})`, [v, c.log.count, c.log.ids, ...pgNodeCols(c.log.cols)]);
  if (c.fold) {
    for (const ch of c.fold.chunks) {
      await q.query(
        `INSERT INTO node_chunks (view, chunk, count, ${NODE_COLS}) VALUES ($1,$2,$3,${params(4, 14)})
         ON CONFLICT (view, chunk) DO UPDATE SET count = excluded.count, ${NODE_COLS.split(', ').map((x) => `${x} = excluded.${x}`).join(', ')}`,
        [v, ch.chunk, ch.count, ...pgNodeCols(ch.cols)],
      );
    }
    await q.query(`DELETE FROM node_chunks WHERE view = $1 AND chunk >= $2`, [v, c.fold.chunkEnd]);
    await q.query(`DELETE FROM node_log WHERE view = $1`, [v]);
  }
  if (c.tombUp.length > 0) {
    await q.query(
      `INSERT INTO tombstones (view, path, logical, physical, session) SELECT $1, * FROM unnest($2::text[], $3::float8[], $4::float8[], $5::text[])
       ON CONFLICT (view, path) DO UPDATE SET logical = excluded.logical, physical = excluded.physical, session = excluded.session`,
      [v, c.tombUp.map((x) => x[0]), c.tombUp.map((x) => x[1]), c.tombUp.map((x) => x[2]), c.tombUp.map((x) => x[3])],
    );
  }
  if (c.tombDel.length > 0) await q.query(`DELETE FROM tombstones WHERE view = $1 AND path = ANY($2::text[])`, [v, c.tombDel]);
  if (c.blindUp.length > 0) await q.query(`INSERT INTO blind_deletions (view, path) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, [v, c.blindUp]);
  if (c.blindDel.length > 0) await q.query(`DELETE FROM blind_deletions WHERE view = $1 AND path = ANY($2::text[])`, [v, c.blindDel]);
  if (c.clock) await q.query(`UPDATE views SET clock_buckets = $2, clock_counts = $3 WHERE num = $1`, [v, c.clock[0], c.clock[1]]);
  if (c.agents.length > 0) {
    await q.query(`INSERT INTO view_agents (view, idx, agent_id) SELECT $1, * FROM unnest($2::int[], $3::text[]) ON CONFLICT (view, idx) DO UPDATE SET agent_id = excluded.agent_id`, [
      v, c.agents.map((a) => a[0]), c.agents.map((a) => a[1]),
    ]);
  }
  if (c.principals.length > 0) {
    await q.query(`INSERT INTO principals (view, kind, id, name) SELECT $1, * FROM unnest($2::text[], $3::int8[], $4::text[]) ON CONFLICT (view, kind, id) DO UPDATE SET name = excluded.name`, [
      v, c.principals.map((p) => p[0]), c.principals.map((p) => p[1]), c.principals.map((p) => p[2]),
    ]);
  }
  if (c.audit) {
    if (c.audit.reset) {
      await q.query(`DELETE FROM audit_seen WHERE view = $1`, [v]);
      await q.query(`DELETE FROM audit_listed WHERE view = $1`, [v]);
      await q.query(`UPDATE views SET audit_started_at = $2 WHERE num = $1`, [v, c.audit.startedAt]);
    }
    if (c.audit.listed.length > 0) await q.query(`INSERT INTO audit_listed (view, path) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, [v, c.audit.listed]);
    if (c.audit.seenAdd.length > 0) await q.query(`INSERT INTO audit_seen (view, id) SELECT $1, unnest($2::int[]) ON CONFLICT DO NOTHING`, [v, c.audit.seenAdd]);
    if (c.audit.seenDel.length > 0) await q.query(`DELETE FROM audit_seen WHERE view = $1 AND id = ANY($2::int[])`, [v, c.audit.seenDel]);
  }
  if (c.view !== null) {
    await q.query(
      `UPDATE views SET last_event_at = $2, snapshot_complete = $3, last_snapshot_end = $4, last_audit_end = $5, audit_count = $6, last_realtime_at = $7, feed_next = $8 WHERE num = $1`,
      [v, ...c.view],
    );
  }
  for (const s of c.sessionRows) await upsertSession(q, s);
  if (c.sessionDeletes.length > 0) await q.query(`DELETE FROM sessions WHERE session_id = ANY($1::text[])`, [c.sessionDeletes]);
  if (c.session) await q.query(`UPDATE sessions SET last_batch_seq = GREATEST(last_batch_seq, $1) WHERE session_id = $2`, [c.session.seq, c.session.id]);
  if (c.feed) {
    await q.query(`INSERT INTO feed (view, first, count, at, ${FEED_COLS}) VALUES ($1,$2,$3,$4,${params(5, 12)})`, [v, c.feed.first, c.feed.count, c.feed.at, ...pgFeedCols(c.feed.blobs)]);
  }
  if (c.pending.length > 0) {
    await q.query(`INSERT INTO sub_pending (sub_id, path, cursor) SELECT * FROM unnest($1::text[], $2::text[], $3::int8[]) ON CONFLICT (sub_id, path) DO UPDATE SET cursor = excluded.cursor`, [
      c.pending.map((p) => p[0]), c.pending.map((p) => p[1]), c.pending.map((p) => p[2]),
    ]);
  }
  for (const d of c.deliveries) {
    await q.query(`INSERT INTO deliveries (id, sub_id, event, path, payload, status, attempts, next_at, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,'pending',0,$6,$7,$8)`, [
      d.id, d.sub_id, d.event, d.path, d.payload, d.next_at, d.created_at, d.expires_at,
    ]);
  }
}

export const NODE_COLS = 'parent, flags, size, mtime, confirmed, s_remaining, s_mtime, names, ks, uid, gid, mode, ctime, agent';
export const FEED_COLS = 'ops, bits, srcs, agents, sizes, mtimes, ks, uids, gids, modes, ctimes, paths';

/** NUL-joined names as UTF-8 bytes (PostgreSQL text cannot hold NUL). */
export function pgNodeCols(cols: NodeBlobs): unknown[] {
  const out: unknown[] = [...cols];
  out[7] = Buffer.from(cols[7], 'utf8');
  return out;
}

export function pgFeedCols(blobs: FeedBlobs): unknown[] {
  const out: unknown[] = [...blobs];
  out[11] = Buffer.from(blobs[11], 'utf8');
  return out;
}

function params(from: number, n: number): string {
  return Array.from({ length: n }, (_, i) => `$${from + i}`).join(',');
}

/** last_batch_seq only moves forward, as in SQLite: a heartbeat's older copy must not roll it back. */
export async function upsertSession(q: pg.ClientBase | pg.Pool, s: SessionRecord): Promise<void> {
  await q.query(
    `INSERT INTO sessions (session_id, view, agent_id, pipe_id, key_id, role, timeout_sec, created_at_ms, last_heartbeat_ms, can_realtime, client_ip, last_batch_seq, snapshot_started)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
     ON CONFLICT (session_id) DO UPDATE SET view = excluded.view, agent_id = excluded.agent_id, pipe_id = excluded.pipe_id, key_id = excluded.key_id,
       role = excluded.role, timeout_sec = excluded.timeout_sec, created_at_ms = excluded.created_at_ms, last_heartbeat_ms = excluded.last_heartbeat_ms,
       can_realtime = excluded.can_realtime, client_ip = excluded.client_ip, last_batch_seq = GREATEST(sessions.last_batch_seq, excluded.last_batch_seq),
       snapshot_started = excluded.snapshot_started`,
    [s.session_id, s.view, s.agent_id, s.pipe_id, s.key_id, s.role, s.timeout_sec, s.created_at_ms, s.last_heartbeat_ms, s.can_realtime, s.client_ip, s.last_batch_seq, s.snapshot_started],
  );
}
