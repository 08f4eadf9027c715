// The common commit (node records, view row, session seq, feed entries) as one fenced statement: one round trip, not seven.

import type pg from 'pg';
import type { PgCommit } from './pg-commit.js';
import { FEED_COLS, NODE_COLS } from './pg-commit.js';

/** A batch that only adds node records, feed entries and moves the session's seq (nearly every ingest batch). */
export function isSimple(c: PgCommit): boolean {
  return (
    c.view !== null && !c.wipe && c.fold === null && c.tombUp.length === 0 && c.tombDel.length === 0 && c.blindUp.length === 0 &&
    c.blindDel.length === 0 && c.agents.length === 0 && c.principals.length === 0 && c.audit === null && c.sessionRows.length === 0 &&
    c.sessionDeletes.length === 0 && c.pending.length === 0 && c.deliveries.length === 0
  );
}

const nodeParams = (from: number) => NODE_COLS.split(', ').map((_, i) => `$${from + i}`).join(', ');
const feedParams = (from: number) => FEED_COLS.split(', ').map((_, i) => `$${from + i}`).join(', ');

/**
 * Data-modifying CTEs run in the one statement's transaction. Every write is conditioned on the lease row
 * (owner and epoch, taken FOR SHARE so a takeover waits for it), so a stale node writes nothing at all and
 * learns it from `ok` = 0 — the same fencing as the multi-statement path.
 */
const SQL = `
WITH lease AS (SELECT 1 FROM view_leases WHERE view = $1 AND owner = $2 AND epoch = $3 FOR SHARE),
v AS (
  UPDATE views SET last_event_at = $5, snapshot_complete = $6, last_snapshot_end = $7, last_audit_end = $8, audit_count = $9,
    last_realtime_at = $10, feed_next = $11, clock_buckets = coalesce($12, clock_buckets), clock_counts = coalesce($13, clock_counts)
  WHERE num = $4 AND EXISTS (SELECT 1 FROM lease) RETURNING 1),
s AS (
  UPDATE sessions SET last_batch_seq = GREATEST(last_batch_seq, $14) WHERE session_id = $15 AND EXISTS (SELECT 1 FROM lease) RETURNING 1),
l AS (
  INSERT INTO node_log (view, count, ids, ${NODE_COLS}) SELECT $4, $16, $17, ${nodeParams(18)}
  WHERE $16::int > 0 AND EXISTS (SELECT 1 FROM lease) RETURNING 1),
f AS (
  INSERT INTO feed (view, first, count, at, ${FEED_COLS}) SELECT $4, $32, $33, $34, ${feedParams(35)}
  WHERE $33::int > 0 AND EXISTS (SELECT 1 FROM lease) RETURNING 1)
SELECT (SELECT count(*) FROM lease)::int AS ok`;

const NO_NODES: unknown[] = Array.from({ length: 14 }, () => null);
const NO_FEED: unknown[] = Array.from({ length: 12 }, () => null);

/** Returns false when the lease no longer names this node and epoch (nothing was written). */
export async function fastCommit(pool: pg.Pool, v: number, lease: { view: string; owner: string; epoch: number }, c: PgCommit, nodeCols: unknown[] | null, feedCols: unknown[] | null): Promise<boolean> {
  // Named: prepared once per connection, so the planner does not see this statement again for every batch.
  const r = await pool.query({ name: 'fustor_fast_commit', text: SQL, values: [
    lease.view, lease.owner, lease.epoch, v,
    ...c.view!, c.clock?.[0] ?? null, c.clock?.[1] ?? null,
    c.session?.seq ?? -1, c.session?.id ?? '',
    c.log?.count ?? 0, c.log?.ids ?? null, ...(nodeCols ?? NO_NODES),
    c.feed?.first ?? 0, c.feed?.count ?? 0, c.feed?.at ?? 0, ...(feedCols ?? NO_FEED),
  ] });
  return (r.rows[0] as { ok: number }).ok === 1;
}
