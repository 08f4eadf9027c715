// The PostgreSQL schema of a Fusion cluster: the same state as fusion.db (keyed by view), plus nodes and view leases.

import type pg from 'pg';
import { inTransaction } from './pg-errors.js';

/** Bumped when the layout changes; a node refuses a database written by a newer one. */
export const PG_SCHEMA_VERSION = 1;

/** Names and paths are NUL-joined lists (NUL never occurs in a view path), which a text column refuses: bytea, UTF-8. */
const NODE_BLOBS = 'parent bytea NOT NULL, flags bytea NOT NULL, size bytea NOT NULL, mtime bytea NOT NULL, confirmed bytea NOT NULL, s_remaining bytea NOT NULL, s_mtime bytea NOT NULL, names bytea NOT NULL, ks bytea, uid bytea, gid bytea, mode bytea, ctime bytea, agent bytea';

const DDL = `
CREATE TABLE IF NOT EXISTS fustor_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS views (
  num serial PRIMARY KEY, id text NOT NULL UNIQUE, config jsonb NOT NULL,
  last_event_at double precision, audit_started_at double precision,
  snapshot_complete boolean NOT NULL DEFAULT false, last_snapshot_end double precision, last_audit_end double precision,
  audit_count bigint NOT NULL DEFAULT 0, last_realtime_at double precision, feed_next bigint NOT NULL DEFAULT 1,
  clock_buckets bytea, clock_counts bytea);
CREATE TABLE IF NOT EXISTS node_chunks (view int NOT NULL, chunk int NOT NULL, count int NOT NULL, ${NODE_BLOBS}, PRIMARY KEY (view, chunk));
CREATE TABLE IF NOT EXISTS node_log (view int NOT NULL, seq bigserial, count int NOT NULL, ids bytea NOT NULL, ${NODE_BLOBS}, PRIMARY KEY (view, seq));
CREATE TABLE IF NOT EXISTS tombstones (view int NOT NULL, path text NOT NULL, logical double precision NOT NULL, physical double precision NOT NULL, session text, PRIMARY KEY (view, path));
CREATE TABLE IF NOT EXISTS blind_deletions (view int NOT NULL, path text NOT NULL, PRIMARY KEY (view, path));
CREATE TABLE IF NOT EXISTS audit_listed (view int NOT NULL, path text NOT NULL, PRIMARY KEY (view, path));
CREATE TABLE IF NOT EXISTS audit_seen (view int NOT NULL, id int NOT NULL, PRIMARY KEY (view, id));
CREATE TABLE IF NOT EXISTS view_agents (view int NOT NULL, idx int NOT NULL, agent_id text NOT NULL, PRIMARY KEY (view, idx));
CREATE TABLE IF NOT EXISTS principals (view int NOT NULL, kind text NOT NULL, id bigint NOT NULL, name text NOT NULL, PRIMARY KEY (view, kind, id));
CREATE TABLE IF NOT EXISTS feed (
  view int NOT NULL, first bigint NOT NULL, count int NOT NULL, at double precision NOT NULL,
  ops bytea NOT NULL, bits bytea NOT NULL, srcs bytea NOT NULL, agents bytea NOT NULL, sizes bytea NOT NULL, mtimes bytea NOT NULL,
  ks bytea NOT NULL, uids bytea NOT NULL, gids bytea NOT NULL, modes bytea NOT NULL, ctimes bytea NOT NULL, paths bytea NOT NULL,
  PRIMARY KEY (view, first));
CREATE TABLE IF NOT EXISTS sessions (
  session_id text PRIMARY KEY, view text NOT NULL, agent_id text NOT NULL, pipe_id text NOT NULL, key_id text NOT NULL, role text NOT NULL,
  timeout_sec double precision NOT NULL, created_at_ms double precision NOT NULL, last_heartbeat_ms double precision NOT NULL,
  can_realtime boolean NOT NULL, client_ip text, last_batch_seq bigint NOT NULL, snapshot_started boolean NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_view ON sessions (view);
CREATE TABLE IF NOT EXISTS settings (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (
  id text PRIMARY KEY, view text NOT NULL, name text NOT NULL, path text NOT NULL, pattern text, on_events text NOT NULL,
  granularity text NOT NULL, url text NOT NULL, secret text NOT NULL, retry_hours double precision NOT NULL, created_at double precision NOT NULL);
CREATE TABLE IF NOT EXISTS sub_pending (sub_id text NOT NULL, path text NOT NULL, cursor bigint NOT NULL, PRIMARY KEY (sub_id, path));
CREATE TABLE IF NOT EXISTS deliveries (
  id text PRIMARY KEY, sub_id text NOT NULL, event text NOT NULL, path text NOT NULL, payload text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending','delivered','failed')), attempts int NOT NULL, next_at double precision NOT NULL,
  created_at double precision NOT NULL, expires_at double precision NOT NULL, last_status int, last_error text, done_at double precision);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_at);
CREATE INDEX IF NOT EXISTS deliveries_sub ON deliveries (sub_id, created_at);
CREATE TABLE IF NOT EXISTS delivery_attempts (
  delivery_id text NOT NULL, sub_id text NOT NULL, at double precision NOT NULL, status_code int, error text, duration_ms double precision NOT NULL);
CREATE INDEX IF NOT EXISTS delivery_attempts_sub ON delivery_attempts (sub_id, at);
CREATE TABLE IF NOT EXISTS cluster_nodes (
  id text PRIMARY KEY, url text NOT NULL, started_at timestamptz NOT NULL, last_seen timestamptz NOT NULL,
  files bigint NOT NULL DEFAULT 0, views int NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS view_leases (
  view text PRIMARY KEY, owner text, epoch bigint NOT NULL DEFAULT 0, expires_at timestamptz NOT NULL DEFAULT 'epoch',
  orphan_since timestamptz);
CREATE TABLE IF NOT EXISTS view_summaries (view text PRIMARY KEY, summary jsonb NOT NULL, updated_at timestamptz NOT NULL);
`;

/**
 * The batch blobs (node log and chunks, feed) are written once per commit, ~100 kB per 1,000 events,
 * and PostgreSQL compresses bytea with pglz by default, which cost a third of the ingest rate
 * (bench/cluster.mjs, P14, full mode, same runs: pglz 88-102k events/s, lz4 121-140k; disk 42 vs 48
 * bytes per file). lz4 is the choice where the server has it (PostgreSQL >= 14 built with lz4, as
 * Debian's is); elsewhere the blobs are stored uncompressed (EXTERNAL: as fast, ~4x the disk).
 * PostgreSQL 15 has no per-column clause in CREATE TABLE, so columns are altered once; later starts
 * find nothing to alter and take no table lock. Rows written before keep their compression (both
 * read back the same).
 */
const BLOB_TABLES = ['node_log', 'node_chunks', 'feed'];

type Querier = { query(sql: string, params?: unknown[]): Promise<pg.QueryResult> };

/** The bytea columns of the blob tables for which `where` holds (on pg_attribute `a`), grouped by table. */
async function blobColumns(c: Querier, where: string): Promise<Map<string, string[]>> {
  const r = await c.query(
    `SELECT c.relname AS t, a.attname AS col FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relname = ANY($1) AND pg_table_is_visible(c.oid) AND a.attnum > 0 AND NOT a.attisdropped
       AND a.atttypid = 'bytea'::regtype AND ${where} ORDER BY 1, 2`,
    [BLOB_TABLES],
  );
  const byTable = new Map<string, string[]>();
  for (const row of r.rows as { t: string; col: string }[]) byTable.set(row.t, [...(byTable.get(row.t) ?? []), row.col]);
  return byTable;
}

async function alterColumns(c: Querier, byTable: Map<string, string[]>, change: string): Promise<void> {
  for (const [t, cols] of byTable) await c.query(`ALTER TABLE ${t} ${cols.map((col) => `ALTER COLUMN ${col} ${change}`).join(', ')}`);
}

/** Makes the blob columns cheap to write (see above); `lz4: false` forces the fallback (tests). Returns the method in use. */
export async function setBlobStorage(c: Querier, opts: { lz4?: boolean } = {}): Promise<'lz4' | 'external'> {
  const version = Number((await c.query('SHOW server_version_num')).rows[0].server_version_num);
  const fellBack = (await blobColumns(c, `a.attstorage <> 'e'`)).size === 0;
  if ((opts.lz4 ?? true) && version >= 140000 && !fellBack) {
    await c.query('SAVEPOINT blob_lz4');
    try {
      await alterColumns(c, await blobColumns(c, `a.attcompression <> 'l'`), 'SET COMPRESSION lz4');
      await c.query('RELEASE SAVEPOINT blob_lz4');
      return 'lz4';
    } catch (err) {
      // 0A000 feature_not_supported: a server built without lz4
      if ((err as { code?: string }).code !== '0A000') throw err;
      await c.query('ROLLBACK TO SAVEPOINT blob_lz4');
    }
  }
  await alterColumns(c, await blobColumns(c, `a.attstorage <> 'e'`), 'SET STORAGE EXTERNAL');
  return 'external';
}

/** A fixed key for the DDL lock: several nodes starting at once must not race on CREATE TABLE. */
const DDL_LOCK = 0x66757374;

export async function migratePg(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK]);
    await c.query(DDL);
    await setBlobStorage(c);
    const r = await c.query(`SELECT value FROM fustor_meta WHERE key = 'schema_version'`);
    const have = r.rows[0] ? Number(r.rows[0].value) : null;
    if (have !== null && have > PG_SCHEMA_VERSION) {
      throw new Error(`the PostgreSQL database has Fusion schema version ${have}, newer than this Fusion (${PG_SCHEMA_VERSION}); upgrade this node`);
    }
    await c.query(`INSERT INTO fustor_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(PG_SCHEMA_VERSION)]);
  });
}
