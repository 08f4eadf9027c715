// The change log (consumers.md §4): one entry per applied change, written in the batch's transaction, durable, bounded.

import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeEntry } from '@fustor/protocol';
import { toEntry } from '../../src/feed/entry.js';
import { recordFilter } from '../../src/feed/filter.js';
import type { ViewEngine } from '../../src/contract.js';
import { del, dir, Harness, HOT_SEC, T0, up } from './harness.js';

let h: Harness | undefined;
afterEach(() => h?.close());

const all = () => true;
async function entries(v: ViewEngine, since = 0): Promise<ChangeEntry[]> {
  return (await v.changes(since, 100_000, all, 1_000_000)).records.map((r) => toEntry(r, v.labels));
}
const brief = (es: ChangeEntry[]) => es.map((e) => `${e.op}${e.created ? '+' : ''} ${e.path}`);

describe('change log entries', () => {
  it('records creates (implied parents too), modifications and deletes in apply order; a no-op writes nothing', async () => {
    h = new Harness();
    h.send('realtime', [up('/a/b/f', T0)]);
    h.send('realtime', [up('/a/b/f', T0)]); // same size and mtime: nothing changed
    h.send('realtime', [up('/a/b/f', T0 + 1, { size: 5 })]);
    h.send('realtime', [del('/a')]);
    expect(brief(await entries(h.v))).toEqual(['upsert+ /a', 'upsert+ /a/b', 'upsert+ /a/b/f', 'upsert /a/b/f', 'delete /a', 'delete /a/b', 'delete /a/b/f']);
    const es = (await entries(h.v));
    expect(es.map((e) => e.cursor)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(es[3]).toMatchObject({ size: 5, mtime_ms: T0 + 1, is_dir: false, message_source: 'realtime', agent_id: null });
    expect(es[4]).toMatchObject({ is_dir: true });
  });

  it('suspect and settled transitions are entries, renewals are not; an expiry is Fusion\'s own (no source)', async () => {
    h = new Harness();
    h.send('realtime', [up('/w', T0, { is_atomic_write: false })]);
    h.send('realtime', [up('/w', T0 + 1, { is_atomic_write: false })]);
    h.send('realtime', [up('/w', T0 + 1, { is_atomic_write: true })]);
    h.send('realtime', [up('/x', T0, { is_atomic_write: false })]);
    h.mono += HOT_SEC * 1000 + 1;
    h.v.tick();
    const es = (await entries(h.v));
    expect(brief(es)).toEqual(['upsert+ /w', 'suspect /w', 'upsert /w', 'settled /w', 'upsert+ /x', 'suspect /x', 'settled /x']);
    expect(es[3]!.message_source).toBe('realtime');
    expect(es[6]!.message_source).toBeNull();
  });

  it('a reset is an entry and cursors keep counting after it', async () => {
    h = new Harness();
    h.send('realtime', [up('/f', T0)]);
    h.v.reset();
    h.send('realtime', [up('/g', T0)]);
    expect(brief(await entries(h.v))).toEqual(['upsert+ /f', 'reset /', 'upsert+ /g']);
    expect(h.v.feedBounds()).toEqual({ oldest_since: 0, latest: 3 });
  });

  it('entries carry metadata, names and provenance', async () => {
    h = new Harness();
    h.v.setPrincipals({ '5': 'eve' }, {});
    h.v.applyBatch('snapshot', [up('/m', T0, { kind: 'file', uid: 5, gid: 6, mode: 0o600, ctime_ms: T0 })], { session_id: 's1', agent_id: 'n1', batch_seq: 0 });
    expect((await entries(h.v))[0]).toMatchObject({ op: 'upsert', kind: 'file', uid: 5, owner: 'eve', gid: 6, group: null, mode: 0o600, ctime_ms: T0, agent_id: 'n1', message_source: 'snapshot', created: true });
  });
});

describe('durability and atomicity', () => {
  it('a commit that fails writes neither the tree nor its entries, and cursors do not skip', async () => {
    h = new Harness();
    h.send('realtime', [up('/ok', T0)]);
    const off = h.store.addCommitListener({ inTransaction: () => { throw new Error('boom'); } });
    expect(() => h!.send('realtime', [up('/lost', T0)])).toThrow('boom');
    off();
    h.send('realtime', [up('/next', T0)]);
    expect(h.node('/lost')).toBeNull();
    expect(brief(await entries(h.v))).toEqual(['upsert+ /ok', 'upsert+ /next']);
    expect((await entries(h.v)).map((e) => e.cursor)).toEqual([1, 2]);
  });

  it('survives a restart: same entries, and the next cursor continues', async () => {
    h = new Harness({ file: true });
    h.send('realtime', [up('/a', T0), up('/b', T0)]);
    const before = (await entries(h.v));
    h.store.close();
    h.store = h.open();
    expect((await entries(h.v))).toEqual(before);
    h.send('realtime', [up('/c', T0)]);
    expect((await entries(h.v)).at(-1)).toMatchObject({ cursor: 3, path: '/c' });
  });
});

describe('retention', () => {
  it('drops whole old commits past the entry bound; oldest_since moves, latest does not', async () => {
    h = new Harness({ feedRetention: { entries: 5, hours: 720 } });
    for (let i = 0; i < 300; i++) h.send('realtime', [up(`/f${i}`, T0)]);
    const b = h.v.feedBounds();
    expect(b.latest).toBe(300);
    expect(b.oldest_since).toBeGreaterThanOrEqual(295 - 256);
    expect((await entries(h.v, b.oldest_since))[0]!.cursor).toBe(b.oldest_since + 1);
  });

  it('drops entries older than retention_hours', async () => {
    h = new Harness({ feedRetention: { entries: 1_000_000, hours: 1 } });
    h.send('realtime', [up('/old', T0)]);
    h.phys += 2 * 3_600_000;
    h.send('realtime', [up('/new', T0)]);
    expect(brief(await entries(h.v, h.v.feedBounds().oldest_since))).toEqual(['upsert+ /new']);
  });
});

describe('filters', () => {
  it('path, pattern and ops filter entries and the cursor advances past what they skip', async () => {
    h = new Harness();
    h.send('realtime', [dir('/in', T0), up('/in/a.fastq', T0), up('/in/b.txt', T0), up('/out/c.fastq', T0), del('/in/b.txt')]);
    const f = async (q: Parameters<typeof recordFilter>[0]) => h!.v.changes(0, 100, recordFilter(q), 1000);
    expect((await f({ path: '/in' })).records.map((r) => r.path)).toEqual(['/in', '/in/a.fastq', '/in/b.txt', '/in/b.txt']);
    expect((await f({ path: '/', pattern: '*.fastq' })).records.map((r) => r.path)).toEqual(['/in/a.fastq', '/out/c.fastq']);
    expect((await f({ path: '/', ops: ['delete'] })).records.map((r) => r.path)).toEqual(['/in/b.txt']);
    const page = await h.v.changes(0, 1, recordFilter({ path: '/out' }), 1000);
    expect(page.records.map((r) => r.path)).toEqual(['/out']);
    const rest = await h.v.changes(page.next, 10, recordFilter({ path: '/out' }), 1000);
    expect(rest.records.map((r) => r.path)).toEqual(['/out/c.fastq']);
    expect(rest.next).toBe(h.v.feedBounds().latest);
  });
});
