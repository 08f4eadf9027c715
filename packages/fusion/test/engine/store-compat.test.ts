// Opening fusion.db files this build cannot read must fail loudly (never load an empty view); views removed from the
// config keep their data; a damaged file or WAL is reported with the file name and what to do.

import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileEvent } from '@fustor/protocol';
import { StoreError } from '../../src/errors.js';
import { SCHEMA_VERSION } from '../../src/store/schema.js';
import { openViewStore } from '../../src/views/open-view-store.js';
import type { ViewConfig } from '../../src/contract.js';
import { dumpView } from './dump.js';

const V = (id: string): ViewConfig => ({ id, hot_file_threshold_sec: 600, tombstone_ttl_sec: 3600 });
const up = (path: string): FileEvent => ({ op: 'upsert', path, is_dir: false, size: 3, mtime_ms: 1_700_000_000_000 });

describe('fusion.db compatibility', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fustor-store-compat-'));
    path = join(dir, 'fusion.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const tables = () => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
    } finally {
      db.close();
    }
  };
  const withRaw = (fn: (db: Database.Database) => void) => {
    const db = new Database(path);
    try {
      fn(db);
    } finally {
      db.close();
    }
  };
  const populated = () => {
    const s = openViewStore({ path, views: [V('v')] });
    s.view('v')!.applyBatch('realtime', [up('/a'), up('/d/b')], { session_id: 's', batch_seq: 0 });
    s.close();
  };

  it('refuses a file of the old row-per-node layout instead of loading the view with 0 files', () => {
    withRaw((db) => {
      db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '1');
        CREATE TABLE views (num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, config TEXT NOT NULL, last_event_at REAL, audit_started_at REAL);
        INSERT INTO views VALUES (1, 'v', '{}', 1700000000000, NULL);
        CREATE TABLE nodes_1 (id INTEGER PRIMARY KEY, parent INTEGER, name TEXT, flags INTEGER, size REAL, mtime REAL);
        INSERT INTO nodes_1 VALUES (1, 0, 'a', 32, 3, 1700000000000);`);
    });
    const before = tables();
    expect(() => openViewStore({ path, views: [V('v')] })).toThrow(StoreError);
    expect(() => openViewStore({ path, views: [V('v')] })).toThrow(/fusion\.db.*older, incompatible Fusion build \(table nodes_1.*move fusion\.db/);
    expect(tables()).toEqual(before); // nothing was created next to the old tables
  });

  it('refuses node tables with other columns (chunk layout without suspect columns)', () => {
    populated();
    withRaw((db) => db.exec(`ALTER TABLE nodes_log_1 DROP COLUMN s_mtime`));
    expect(() => openViewStore({ path, views: [V('v')] })).toThrow(/table nodes_log_1 has columns \(.*\), expected .*incompatible Fusion build/);
  });

  it('refuses a view that ingested events but whose node tables are gone', () => {
    populated();
    withRaw((db) => db.exec(`DROP TABLE nodes_chunk_1; DROP TABLE nodes_log_1`));
    expect(() => openViewStore({ path, views: [V('v')] })).toThrow(/view 'v' has ingested events but its node tables/);
  });

  it('refuses a newer schema version, and a file that is not a Fusion database', () => {
    populated();
    withRaw((db) => db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema_version'`).run(String(SCHEMA_VERSION + 1)));
    expect(() => openViewStore({ path, views: [V('v')] })).toThrow(/schema version \d+, newer than this Fusion/);
    rmSync(path);
    withRaw((db) => db.exec(`CREATE TABLE other (x)`));
    expect(() => openViewStore({ path, views: [V('v')] })).toThrow(/not a Fusion database/);
  });

  it('upgrades a version-1 file in place, histogram rows included', () => {
    populated();
    withRaw((db) => {
      db.exec(`UPDATE meta SET value = '1' WHERE key = 'schema_version'; DELETE FROM clock_state; DROP TABLE clock_state;`);
      db.exec(`DELETE FROM clock_histogram; INSERT INTO clock_histogram VALUES (1, 5, 40), (1, 9, 3)`);
    });
    const s = openViewStore({ path, views: [V('v')] });
    const d = dumpView(s.view('v')!);
    expect(Object.keys(d.nodes).sort()).toEqual(['/', '/a', '/d', '/d/b']);
    expect(d.histogram).toEqual([
      [5, 40],
      [9, 3],
    ]);
    s.close();
    withRaw((db) => expect(db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get()).toBe(String(SCHEMA_VERSION)));
  });

  it('a view removed from the config keeps its data and is served again when it comes back', () => {
    const s1 = openViewStore({ path, views: [V('keep'), V('gone')] });
    s1.view('gone')!.applyBatch('realtime', [up('/x'), up('/y/z')], { session_id: 's', batch_seq: 0 });
    const before = dumpView(s1.view('gone')!).nodes;
    s1.close();
    const s2 = openViewStore({ path, views: [V('keep')] });
    expect(s2.view('gone')).toBeUndefined();
    s2.view('keep')!.applyBatch('realtime', [up('/k')], { session_id: 's2', batch_seq: 0 });
    s2.close();
    const s3 = openViewStore({ path, views: [V('keep'), V('gone')] });
    expect(dumpView(s3.view('gone')!).nodes).toEqual(before);
    s3.close();
  });

  it('a file that is not SQLite is reported as damaged, naming the file', () => {
    writeFileSync(path, 'this is not a database'.repeat(100));
    expect(() => openViewStore({ path, views: [V('v')] })).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*damaged or not a SQLite database`));
  });

  it('a truncated WAL after a crash opens with the commits whose frames are complete', () => {
    const s = openViewStore({ path, views: [V('v')] });
    for (let i = 0; i < 20; i++) s.view('v')!.applyBatch('realtime', [up(`/f${i}`)], { session_id: 's', batch_seq: i });
    // the crash: copy the files while the store is still open (nothing checkpointed), then cut the WAL mid-frame
    const crash = join(dir, 'crash.db');
    copyFileSync(path, crash);
    copyFileSync(`${path}-wal`, `${crash}-wal`);
    truncateSync(`${crash}-wal`, Math.floor(statSync(`${crash}-wal`).size * 0.6) + 7);
    s.close();
    const r = openViewStore({ path: crash, views: [V('v')] });
    const files = Object.keys(dumpView(r.view('v')!).nodes).filter((p) => p !== '/');
    // a prefix of the batches: SQLite ignores the torn tail of the WAL
    expect(files.length).toBeGreaterThan(0);
    expect(files.length).toBeLessThan(20);
    expect(files.sort()).toEqual(Array.from({ length: files.length }, (_, i) => `/f${i}`).sort());
    r.close();
  });
});
