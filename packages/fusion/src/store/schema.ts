// The SQLite schema of fusion.db (one file for every view), created or upgraded on open.

import type Database from 'better-sqlite3';

export const SCHEMA_VERSION = 1;

/** Shared tables; each view also gets its own `nodes_<num>` table (see nodesTable). */
const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS views (
  num INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  config TEXT NOT NULL,
  last_event_at REAL,
  audit_started_at REAL
);
CREATE TABLE IF NOT EXISTS tombstones (
  view INTEGER NOT NULL, path TEXT NOT NULL, logical REAL NOT NULL, physical REAL NOT NULL, session TEXT,
  PRIMARY KEY (view, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blind_spots (
  view INTEGER NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('addition','deletion')),
  PRIMARY KEY (view, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clock_histogram (
  view INTEGER NOT NULL, bucket INTEGER NOT NULL, count REAL NOT NULL,
  PRIMARY KEY (view, bucket)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clock_state (view INTEGER PRIMARY KEY, buckets BLOB NOT NULL, counts BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS audit_listed (
  view INTEGER NOT NULL, path TEXT NOT NULL, PRIMARY KEY (view, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_seen (
  view INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (view, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY,
  view TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  pipe_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  role TEXT NOT NULL,
  timeout_sec REAL NOT NULL,
  created_at_ms REAL NOT NULL,
  last_heartbeat_ms REAL NOT NULL,
  can_realtime INTEGER NOT NULL,
  client_ip TEXT,
  last_batch_seq INTEGER NOT NULL,
  snapshot_started INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/**
 * Per-view node storage: `nodes_chunk_<n>` holds the node columns of ids [chunk*4096, +4096) as
 * blobs (a checkpoint), `nodes_log_<n>` one row per commit with the records that commit changed.
 * Suspect marks travel with the node: flag bit + remaining time (ms, re-armed on the monotonic clock
 * at load) + recorded mtime.
 * Loading is a few hundred blob copies plus a log replay instead of a million row steps.
 */
export function chunkTable(num: number): string {
  return `nodes_chunk_${num}`;
}
export function logTable(num: number): string {
  return `nodes_log_${num}`;
}

export function createNodeTables(db: Database.Database, num: number): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${chunkTable(num)} (
    chunk INTEGER PRIMARY KEY, count INTEGER NOT NULL,
    parent BLOB NOT NULL, flags BLOB NOT NULL, size BLOB NOT NULL, mtime BLOB NOT NULL, confirmed BLOB NOT NULL,
    s_remaining BLOB NOT NULL, s_mtime BLOB NOT NULL, names TEXT NOT NULL)`);
  db.exec(`CREATE TABLE IF NOT EXISTS ${logTable(num)} (
    seq INTEGER PRIMARY KEY, count INTEGER NOT NULL, ids BLOB NOT NULL,
    parent BLOB NOT NULL, flags BLOB NOT NULL, size BLOB NOT NULL, mtime BLOB NOT NULL, confirmed BLOB NOT NULL,
    s_remaining BLOB NOT NULL, s_mtime BLOB NOT NULL, names TEXT NOT NULL)`);
}

export function migrate(db: Database.Database): void {
  db.exec(DDL);
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
  if (row === undefined) {
    db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
  } else if (Number(row.value) > SCHEMA_VERSION) {
    throw new Error(
      `fusion.db has schema version ${row.value}, newer than this Fusion (${SCHEMA_VERSION}); upgrade Fusion or point it at another data directory`,
    );
  }
}
