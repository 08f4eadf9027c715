// Durability: committed batches survive a reopen without checkpoint; a failed commit leaves memory equal to disk.

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, OLD, T0, del, dir, session, up } from './harness.js';
import { openViewStore } from '../../src/views/open-view-store.js';
import type { ViewConfig } from '../../src/contract.js';

function openStore(h: Harness, views: ViewConfig[]) {
  return openViewStore({ path: h.path, views, clocks: { physical: () => h.phys, monotonic: () => h.mono } });
}
import { checkAggregates, dumpView } from './dump.js';

describe('engine durability', () => {
  let h: Harness | null = null;
  afterEach(() => {
    h?.close();
    h = null;
  });

  function populate(hh: Harness): void {
    hh.send('snapshot', [dir('/d', OLD), up('/d/a', OLD, { size: 10 }), up('/d/b', OLD, { size: 20 }), up('/hot', T0 - 1000)]);
    hh.send('realtime', [up('/r/x', T0 - 2000, { is_atomic_write: false }), up('/r/y', T0 - 2000), del('/gone')]);
    hh.send('audit', [up('/add', OLD)]);
    hh.v.auditStart();
    hh.send('audit', [dir('/d', OLD, { audit_skipped: false }), up('/d/a', OLD, { parent_path: '/d', parent_mtime_ms: OLD })]);
  }

  it('reopening without checkpoint restores tree, marks, histogram, audit context and last_batch_seq', () => {
    h = new Harness({ file: true });
    populate(h);
    const before = dumpView(h.v);
    // A second connection while the first still holds the WAL: nothing was checkpointed or closed cleanly.
    const reopened = h.open();
    try {
      const v2 = reopened.view('v')!;
      expect(dumpView(v2)).toEqual(before);
      expect(checkAggregates(v2)).toEqual([]);
      expect(reopened.loadSessions().find((s) => s.session_id === 's1')!.last_batch_seq).toBe(h.seq - 1);
      expect(before.tombstones).toHaveProperty('/gone');
      expect(before.suspects.map((s) => s[0])).toEqual(['/hot', '/r/x']);
      expect(before.additions).toEqual(['/add']);
      expect(before.histogram).toEqual([[2, 2]]);
    } finally {
      reopened.close();
    }
  });

  it('an audit interrupted by a restart finishes with the same verdict (listed dirs and seen entries persisted)', () => {
    h = new Harness({ file: true });
    populate(h);
    h.store.close();
    h.store = h.open();
    expect(h.v.auditEnd(true).deleted).toBe(1);
    expect(h.node('/d/b')).toBeNull();
    expect(h.node('/d/a')).not.toBeNull();
    expect(h.v.blindSpots('deletion', 1, 10).items.map((i) => i.path)).toEqual(['/d/b']);
  });

  it('saveSession never rolls last_batch_seq back', () => {
    h = new Harness({ file: true });
    h.send('realtime', [up('/x', T0)]);
    h.send('realtime', [up('/y', T0)]);
    h.store.saveSession({ ...session(), last_heartbeat_ms: T0 + 5, last_batch_seq: 0 });
    const s = h.store.loadSessions()[0]!;
    expect(s.last_batch_seq).toBe(1);
    expect(s.last_heartbeat_ms).toBe(T0 + 5);
  });

  it('a commit that fails leaves memory equal to disk (the view is reloaded) and the store keeps working', () => {
    h = new Harness({ file: true });
    populate(h);
    const before = dumpView(h.v);
    const side = new Database(h.path);
    side.exec(`CREATE TRIGGER injected_failure BEFORE INSERT ON tombstones BEGIN SELECT RAISE(ABORT, 'injected'); END`);
    expect(() => h!.send('realtime', [up('/new', T0), del('/d/a')])).toThrow(/injected/);
    expect(dumpView(h.v)).toEqual(before);
    expect(h.node('/new')).toBeNull();
    expect(h.store.loadSessions()[0]!.last_batch_seq).toBe(h.seq - 2);
    side.exec(`DROP TRIGGER injected_failure`);
    side.close();
    h.send('realtime', [up('/new', T0), del('/d/a')]);
    expect(h.node('/new')).not.toBeNull();
    expect(h.node('/d/a')).toBeNull();
    expect(checkAggregates(h.v)).toEqual([]);
  });

  it('reset empties the tree and marks durably, keeping the clock', () => {
    h = new Harness({ file: true });
    populate(h);
    h.v.reset();
    const c = h.v.counters();
    expect([c.file_count, c.dir_count, c.suspect_count, c.blind_spot_count, c.tombstone_count]).toEqual([0, 0, 0, 0, 0]);
    expect(() => h!.v.auditEnd(true)).toThrow();
    h.store.close();
    h.store = h.open();
    expect(h.v.counters().file_count).toBe(0);
    expect(h.v.watermark()).toBe(h.phys - 2000);
    h.send('snapshot', [up('/again', OLD)]);
    expect(h.v.counters().file_count).toBe(1);
  });

  it('configureViews adds views and updates thresholds; a removed view keeps its data', () => {
    h = new Harness({ file: true });
    h.send('snapshot', [up('/keep', OLD)]);
    h.store.configureViews([{ id: 'other', hot_file_threshold_sec: 5, tombstone_ttl_sec: 10 }]);
    expect(h.store.view('v')).toBeUndefined();
    expect(h.store.views().map((v) => v.id)).toEqual(['other']);
    h.store.configureViews([
      { id: 'other', hot_file_threshold_sec: 5, tombstone_ttl_sec: 10 },
      { id: 'v', hot_file_threshold_sec: 120, tombstone_ttl_sec: 60 },
    ]);
    expect(h.v.config.hot_file_threshold_sec).toBe(120);
    expect(h.node('/keep')).not.toBeNull();
    h.store.configureViews([
      { id: 'other', hot_file_threshold_sec: 5, tombstone_ttl_sec: 10 },
      { id: 'v', hot_file_threshold_sec: 1, tombstone_ttl_sec: 60 },
    ]);
    expect(h.v.config.hot_file_threshold_sec).toBe(1);
  });

  it('suspect marks survive a restart with their remaining time re-armed on the new monotonic clock', () => {
    h = new Harness({ file: true });
    const hot = Array.from({ length: 5000 }, (_, i) => up(`/hot/f${i}`, T0 - 1000));
    h.send('snapshot', hot);
    expect(h.v.counters().suspect_count).toBe(5000);
    const before = h.v.suspects(1, 1).items[0]!.expires_in_ms;
    h.store.close();
    h.mono += 1_000_000; // a new process: its monotonic clock has another origin
    h.store = h.open();
    expect(h.v.counters().suspect_count).toBe(5000);
    expect(h.v.suspects(1, 1).items[0]!.expires_in_ms).toBe(before);
    h.mono += before;
    h.v.tick();
    expect(h.v.counters().suspect_count).toBe(0);
    expect(h.v.stats('/hot')).toMatchObject({ suspect_count: 0, file_count: 5000 });
  });

  it('views in one database are independent', () => {
    h = new Harness({ file: true });
    const two = [
      { id: 'v', hot_file_threshold_sec: 60, tombstone_ttl_sec: 3600 },
      { id: 'w', hot_file_threshold_sec: 60, tombstone_ttl_sec: 3600 },
    ];
    h.store.configureViews(two);
    h.send('snapshot', [up('/only-in-v', OLD)]);
    h.store.view('w')!.applyBatch('realtime', [up('/only-in-w', T0), del('/x')], { session_id: 's1', batch_seq: 99 });
    h.store.close();
    h.store = openStore(h, two);
    expect(h.node('/only-in-v')).not.toBeNull();
    expect(h.node('/only-in-w')).toBeNull();
    const w = h.store.view('w')!;
    expect(w.counters()).toMatchObject({ file_count: 1, tombstone_count: 1 });
    expect(h.v.counters()).toMatchObject({ file_count: 1, tombstone_count: 0 });
  });

  it('settings round-trip as JSON', () => {
    h = new Harness({ file: true });
    h.store.setSetting('rate', { per_minute: 10 });
    expect(h.store.getSetting('rate')).toEqual({ per_minute: 10 });
    expect(h.store.getSetting('missing')).toBeUndefined();
  });
});
