// The SQLite schema of fusion.db (one file for every view), created or upgraded on open.

import type Database from 'better-sqlite3';
import { StoreError } from '../errors.js';

/**
 * 2: clock histogram in `clock_state` (a version-1 file is upgraded in place: its per-bucket rows are moved on first write).
 * 3: freshness columns on `views`, file metadata and provenance columns on the node tables (added in place, old rows read as unknown),
 *    the change feed (`feed_<n>` per view) and subscriptions.
 */
export const SCHEMA_VERSION = 3;

/** Columns added after a table was first created: [table, column, declaration]. Applied in place on open. */
const ADDED_VIEW_COLUMNS: Array<[string, string]> = [
  ['snapshot_complete', 'INTEGER NOT NULL DEFAULT 0'],
  ['last_snapshot_end', 'REAL'],
  ['last_audit_end', 'REAL'],
  ['audit_count', 'INTEGER NOT NULL DEFAULT 0'],
  ['last_realtime_at', 'REAL'],
  ['feed_next', 'INTEGER NOT NULL DEFAULT 1'],
];

function addMissingColumns(db: Database.Database, table: string, cols: ReadonlyArray<[string, string]>): void {
  const have = new Set(db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]);
  for (const [name, decl] of cols) if (!have.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${decl}`);
}

/** Shared tables; each view also gets its own node tables (see chunkTable, logTable). */
const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS views (
  num INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  config TEXT NOT NULL,
  last_event_at REAL,
  audit_started_at REAL,
  snapshot_complete INTEGER NOT NULL DEFAULT 0,
  last_snapshot_end REAL,
  last_audit_end REAL,
  audit_count INTEGER NOT NULL DEFAULT 0,
  last_realtime_at REAL,
  feed_next INTEGER NOT NULL DEFAULT 1
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
CREATE TABLE IF NOT EXISTS view_agents (
  view INTEGER NOT NULL, idx INTEGER NOT NULL, agent_id TEXT NOT NULL, PRIMARY KEY (view, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscriptions (
  id TEXT PRIMARY KEY, view TEXT NOT NULL, name TEXT NOT NULL, path TEXT NOT NULL, pattern TEXT, on_events TEXT NOT NULL,
  granularity TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL, retry_hours REAL NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sub_pending (
  sub_id TEXT NOT NULL, path TEXT NOT NULL, cursor INTEGER NOT NULL, PRIMARY KEY (sub_id, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY, sub_id TEXT NOT NULL, event TEXT NOT NULL, path TEXT NOT NULL, payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')), attempts INTEGER NOT NULL, next_at REAL NOT NULL,
  created_at REAL NOT NULL, expires_at REAL NOT NULL, last_status INTEGER, last_error TEXT, done_at REAL);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_at);
CREATE INDEX IF NOT EXISTS deliveries_sub ON deliveries (sub_id, created_at);
CREATE TABLE IF NOT EXISTS delivery_attempts (
  delivery_id TEXT NOT NULL, sub_id TEXT NOT NULL, at REAL NOT NULL, status_code INTEGER, error TEXT, duration_ms REAL NOT NULL);
CREATE INDEX IF NOT EXISTS delivery_attempts_sub ON delivery_attempts (sub_id, at);
CREATE TABLE IF NOT EXISTS principals (
  view INTEGER NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('user','group')), id INTEGER NOT NULL, name TEXT NOT NULL,
  PRIMARY KEY (view, kind, id)) WITHOUT ROWID;
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

/**
 * Schema 3 metadata columns (consumers.md §1), nullable: a row written before they existed reads as "not
 * reported". ks = kind + last source (1 byte), uid/gid (u32), mode (u16), ctime (f64), agent index (u16).
 */
export const META_COLUMNS = ['ks', 'uid', 'gid', 'mode', 'ctime', 'agent'] as const;
const META_DDL = META_COLUMNS.map((c) => `, ${c} BLOB`).join('');

export function createNodeTables(db: Database.Database, num: number): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${chunkTable(num)} (
    chunk INTEGER PRIMARY KEY, count INTEGER NOT NULL,
    parent BLOB NOT NULL, flags BLOB NOT NULL, size BLOB NOT NULL, mtime BLOB NOT NULL, confirmed BLOB NOT NULL,
    s_remaining BLOB NOT NULL, s_mtime BLOB NOT NULL, names TEXT NOT NULL${META_DDL})`);
  db.exec(`CREATE TABLE IF NOT EXISTS ${logTable(num)} (
    seq INTEGER PRIMARY KEY, count INTEGER NOT NULL, ids BLOB NOT NULL,
    parent BLOB NOT NULL, flags BLOB NOT NULL, size BLOB NOT NULL, mtime BLOB NOT NULL, confirmed BLOB NOT NULL,
    s_remaining BLOB NOT NULL, s_mtime BLOB NOT NULL, names TEXT NOT NULL${META_DDL})`);
  // Upgrade in place: a schema-2 table gains the columns; its rows read as "not reported".
  const meta = META_COLUMNS.map((c) => [c, 'BLOB'] as [string, string]);
  addMissingColumns(db, chunkTable(num), meta);
  addMissingColumns(db, logTable(num), meta);
}

const NODE_COLUMNS = 'parent,flags,size,mtime,confirmed,s_remaining,s_mtime,names';
const EXPECTED_COLUMNS: Array<[RegExp, string]> = [
  [/^nodes_chunk_\d+$/, `chunk,count,${NODE_COLUMNS}`],
  [/^nodes_log_\d+$/, `seq,count,ids,${NODE_COLUMNS}`],
];
/** The schema-2 columns, optionally followed by the schema-3 ones (added in place by createNodeTables). */
function knownLayout(have: string, v2: string): boolean {
  return have === v2 || have === `${v2},${META_COLUMNS.join(',')}`;
}
const MOVE_ASIDE =
  'move fusion.db (with its -wal and -shm files) aside and restart (Fusion starts empty and agents re-send their snapshot), or run the Fusion version that wrote it';

/**
 * Refuses a file this build cannot read, before anything is created in it: otherwise `CREATE TABLE IF
 * NOT EXISTS` would add empty node tables next to the old ones and the view would load with 0 files.
 */
function checkExisting(db: Database.Database, tables: Set<string>): void {
  if (!tables.has('meta')) throw new StoreError(`fusion.db is not a Fusion database (no meta table; tables: ${[...tables].slice(0, 5).join(', ')}); ${MOVE_ASIDE}`);
  const version = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string | undefined;
  if (version !== undefined && Number(version) > SCHEMA_VERSION) {
    throw new StoreError(`fusion.db has schema version ${version}, newer than this Fusion (${SCHEMA_VERSION}); upgrade Fusion or point it at another data directory`);
  }
  const legacy = [...tables].filter((t) => /^nodes_\d+$/.test(t) || t === 'suspects');
  if (legacy.length > 0) {
    throw new StoreError(`fusion.db was written by an older, incompatible Fusion build (table ${legacy.join(', ')} of an earlier node layout); this version cannot read its views: ${MOVE_ASIDE}`);
  }
  for (const t of tables) {
    const want = EXPECTED_COLUMNS.find(([re]) => re.test(t))?.[1];
    if (want === undefined) continue;
    const have = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[]).join(',');
    if (!knownLayout(have, want)) throw new StoreError(`fusion.db table ${t} has columns (${have}), expected (${want}): written by an incompatible Fusion build; ${MOVE_ASIDE}`);
  }
  if (tables.has('views')) {
    for (const r of db.prepare(`SELECT num, id FROM views WHERE last_event_at IS NOT NULL`).all() as Array<{ num: number; id: string }>) {
      if (!tables.has(chunkTable(r.num)) || !tables.has(logTable(r.num))) {
        throw new StoreError(`fusion.db: view '${r.id}' has ingested events but its node tables ${chunkTable(r.num)}/${logTable(r.num)} are missing (damaged or incompatible file); ${MOVE_ASIDE}`);
      }
    }
  }
}

export function migrate(db: Database.Database): void {
  const tables = new Set(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[]);
  if (tables.size > 0) checkExisting(db, tables);
  db.exec(DDL);
  addMissingColumns(db, 'views', ADDED_VIEW_COLUMNS);
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
  if (row === undefined || Number(row.value) < SCHEMA_VERSION) {
    // 1 -> 2 needs nothing here: DDL created clock_state, and ViewRepo moves a view's histogram rows on its first write.
    db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
  }
}
