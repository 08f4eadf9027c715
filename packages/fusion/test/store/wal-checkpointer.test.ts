// Background WAL checkpoints: a worker copies the WAL into fusion.db so commits never run a checkpoint themselves.

import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@fustor/test-helpers';
import { SQLITE_DRIVER, WAL_BACKSTOP_BYTES } from '../../src/store/database.js';
import { WalCheckpointer } from '../../src/store/wal-checkpointer.js';
import { openViewStore } from '../../src/views/open-view-store.js';
import type { ViewStore } from '../../src/contract.js';

const VIEWS = [{ id: 'v', hot_file_threshold_sec: 600, tombstone_ttl_sec: 3600 }];
const OLD = 1_700_000_000_000;

/** A WAL database whose connection never checkpoints by itself, with `rows` rows of 1 KiB written. */
function walDb(path: string, rows: number): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (x BLOB)');
  const ins = db.prepare('INSERT INTO t VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) ins.run(Buffer.alloc(1024, i));
  })();
  return db;
}

describe('WalCheckpointer', () => {
  let dir: string;
  const stops: WalCheckpointer[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fustor-walcp-'));
  });
  afterEach(() => {
    for (const c of stops.splice(0)) c.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checkpoints every WAL frame from its worker, and the next commit starts the WAL over', async () => {
    const path = join(dir, 'a.db');
    const db = walDb(path, 2000);
    const failures: string[] = [];
    const cp = new WalCheckpointer(path, { driver: SQLITE_DRIVER, startBytes: 1, intervalMs: 0, onFailure: (r) => failures.push(r) });
    stops.push(cp);
    cp.nudge();
    await waitFor(() => cp.stats.checkpoints >= 1, 'a checkpoint from the worker');
    expect(cp.running).toBe(true);
    expect(cp.stats.lastLogFrames).toBeGreaterThan(100);
    expect(cp.stats.lastCheckpointedFrames).toBe(cp.stats.lastLogFrames);
    // Everything was copied: the main connection finds nothing left to do, and its next write rewinds the WAL.
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(10));
    const [after] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
    expect(after!.log).toBeLessThan(10);
    expect(failures).toEqual([]);
    db.close();
  });

  it('stop() returns only after the worker closed its connection', async () => {
    const path = join(dir, 'd.db');
    const db = walDb(path, 500);
    const cp = new WalCheckpointer(path, { driver: SQLITE_DRIVER, startBytes: 1, intervalMs: 0, onFailure: () => undefined });
    cp.nudge();
    await waitFor(() => cp.stats.checkpoints >= 1, 'a checkpoint');
    cp.nudge(); // one more in flight while it stops
    cp.stop();
    expect(cp.workerClosed).toBe(true);
    expect(cp.running).toBe(false);
    db.close();
  });

  it('stop() does not wait out its time limit for a worker that failed to open the database (reported once)', async () => {
    const path = join(dir, 'sub');
    mkdirSync(path); // a directory where the database should be: the worker's open fails
    writeFileSync(`${path}-wal`, Buffer.alloc(100));
    const failures: string[] = [];
    const cp = new WalCheckpointer(path, { driver: SQLITE_DRIVER, startBytes: 1, intervalMs: 0, onFailure: (r) => failures.push(r) });
    cp.nudge();
    cp.stop(); // possibly before the worker even booted
    expect(cp.stopOutcome).toBe('failed');
    expect(failures.length).toBeLessThanOrEqual(1);
  });

  it('a nudge that comes too soon is not lost: the last commit of a burst is checkpointed too', async () => {
    const path = join(dir, 'e.db');
    const db = walDb(path, 100);
    const cp = new WalCheckpointer(path, { driver: SQLITE_DRIVER, startBytes: 1, intervalMs: 1000, onFailure: () => undefined });
    stops.push(cp);
    cp.nudge();
    await waitFor(() => cp.stats.checkpoints === 1, 'the first checkpoint');
    db.prepare('INSERT INTO t VALUES (?)').run(Buffer.alloc(100_000)); // the burst's last commit
    cp.nudge(); // inside the interval: deferred, not dropped
    await waitFor(() => cp.stats.checkpoints === 2, 'the deferred checkpoint');
    expect(cp.stats.lastCheckpointedFrames).toBe(cp.stats.lastLogFrames);
    db.close();
  });

  it('waits for the WAL to reach startBytes before it starts a worker', async () => {
    const path = join(dir, 'b.db');
    const db = walDb(path, 10);
    const cp = new WalCheckpointer(path, { driver: SQLITE_DRIVER, startBytes: 64 * 1024 * 1024, intervalMs: 0, onFailure: () => undefined });
    stops.push(cp);
    cp.nudge();
    expect(cp.running).toBe(false);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    db.close();
  });

  it('reports a worker that cannot checkpoint (not a database) once, so the caller takes checkpoints back', async () => {
    const path = join(dir, 'c.db');
    writeFileSync(path, 'this is not a database file, only text that is long enough to be read as a header');
    writeFileSync(`${path}-wal`, Buffer.alloc(100));
    const failures: string[] = [];
    const cp = new WalCheckpointer(path, { driver: SQLITE_DRIVER, startBytes: 1, intervalMs: 0, onFailure: (r) => failures.push(r) });
    stops.push(cp);
    cp.nudge();
    await waitFor(() => failures.length > 0, 'the failure');
    expect(failures[0]).toMatch(/checkpoint/);
    cp.nudge(); // off for good: no second worker, no second report
    expect(cp.running).toBe(false);
    expect(failures).toHaveLength(1);
  });
});

describe('a file store with background checkpoints', () => {
  let dir: string;
  let store: ViewStore | null = null;
  const start = WalCheckpointer.defaultStartBytes;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fustor-walstore-'));
    WalCheckpointer.defaultStartBytes = 1;
  });
  afterEach(() => {
    WalCheckpointer.defaultStartBytes = start;
    store?.close();
    store = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('checkpoints from its worker while batches commit, stops it on close, and loses nothing across close and reopen', async () => {
    const path = join(dir, 'fusion.db');
    store = openViewStore({ path, views: VIEWS, synchronous: 'normal' });
    const cp = (store as unknown as { checkpointer: WalCheckpointer }).checkpointer;
    expect(cp).not.toBeNull();
    const v = store.view('v')!;
    for (let b = 0; b < 40; b++) {
      const events = Array.from({ length: 250 }, (_, i) => ({ op: 'upsert' as const, path: `/d${b}/f${i}.dat`, is_dir: false, size: i, mtime_ms: OLD }));
      v.applyBatch('snapshot', events, { session_id: 's', batch_seq: b });
      await new Promise((r) => setImmediate(r)); // the worker's replies arrive between batches, as between requests
    }
    await waitFor(() => cp.stats.checkpoints >= 1, 'a background checkpoint');
    expect(cp.running).toBe(true);
    // One more after the last batch (deferred if it comes too soon), copying every frame there is.
    const before = cp.stats.checkpoints;
    cp.nudge();
    await waitFor(() => cp.stats.checkpoints > before && cp.stats.lastCheckpointedFrames === cp.stats.lastLogFrames, 'a checkpoint of the whole WAL');
    // The committing connection checkpoints only at the backstop, far beyond what was written here:
    // the pages reached fusion.db through the worker, while the store is open.
    expect((store as unknown as { walAutoCheckpointPages: number }).walAutoCheckpointPages).toBe(WAL_BACKSTOP_BYTES / 16_384);
    expect(statSync(path).size).toBeGreaterThan(1024 * 1024);
    store.close();
    expect(cp.stopOutcome).toBe('closed');
    store = openViewStore({ path, views: VIEWS, backgroundCheckpoints: false });
    expect(store.view('v')!.counters().file_count).toBe(10_000);
  });

  it('backgroundCheckpoints: false keeps SQLite checkpointing in the committing connection (32 MiB)', () => {
    store = openViewStore({ path: join(dir, 'fusion.db'), views: VIEWS, backgroundCheckpoints: false });
    expect((store as unknown as { checkpointer: WalCheckpointer | null }).checkpointer).toBeNull();
    expect((store as unknown as { walAutoCheckpointPages: number }).walAutoCheckpointPages).toBe(2048);
  });
});

describe('closing a store with background checkpoints', () => {
  const start = WalCheckpointer.defaultStartBytes;
  afterEach(() => {
    WalCheckpointer.defaultStartBytes = start;
  });

  it('regression: close returns after the worker closed its connection, so the directory can be removed at once (ENOTEMPTY in a test before)', async () => {
    WalCheckpointer.defaultStartBytes = 1;
    for (let round = 0; round < 5; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'fustor-walclose-'));
      const store = openViewStore({ path: join(dir, 'fusion.db'), views: VIEWS, synchronous: 'normal' });
      const cp = (store as unknown as { checkpointer: WalCheckpointer }).checkpointer;
      const v = store.view('v')!;
      v.applyBatch('snapshot', Array.from({ length: 500 }, (_, i) => ({ op: 'upsert' as const, path: `/f${i}`, is_dir: false, size: i, mtime_ms: OLD })), { session_id: 's', batch_seq: 0 });
      await waitFor(() => cp.running, 'the worker');
      store.close();
      expect(readdirSync(dir).sort()).toEqual(['fusion.db']); // the WAL and shared memory are gone with the last connection
      rmSync(dir, { recursive: true });
    }
  });
});
