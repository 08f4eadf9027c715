// fusion.db's pragmas: a new file gets the larger page size, an existing file keeps its own and still opens.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, closeDatabase, PAGE_SIZE } from '../../src/store/database.js';
import { openViewStore } from '../../src/views/open-view-store.js';

const VIEWS = [{ id: 'v', hot_file_threshold_sec: 600, tombstone_ttl_sec: 3600 }];

describe('openDatabase page size', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fustor-pagesize-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a new fusion.db with 16 KiB pages in WAL mode', () => {
    const db = openDatabase(join(dir, 'fusion.db'), 'normal');
    expect(db.pragma('page_size', { simple: true })).toBe(PAGE_SIZE);
    expect(PAGE_SIZE).toBe(16_384);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(2048); // 32 MiB of 16 KiB pages
    closeDatabase(db);
  });

  it('regression: a fusion.db made with 4 KiB pages keeps them, and its views load and ingest as before', () => {
    const path = join(dir, 'fusion.db');
    const old = new Database(path);
    old.pragma('page_size = 4096');
    old.pragma('journal_mode = WAL');
    old.close();
    const first = openViewStore({ path, views: VIEWS });
    first.view('v')!.applyBatch('realtime', [{ op: 'upsert', path: '/a/b.dat', is_dir: false, size: 7, mtime_ms: 1_700_000_000_000 }], { session_id: 's', batch_seq: 1 });
    first.close();
    const db = openDatabase(path, 'normal');
    expect(db.pragma('page_size', { simple: true })).toBe(4096);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(8192); // still 32 MiB
    closeDatabase(db);
    const again = openViewStore({ path, views: VIEWS });
    expect(again.view('v')!.stats('/a')).toMatchObject({ file_count: 1, total_size: 7 });
    again.close();
  });
});
