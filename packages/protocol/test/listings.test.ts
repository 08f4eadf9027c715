// Compact scan batches: listings ↔ events are exact, and the MessagePack decoder accepts only what the JSON schema accepts.

import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import {
  clampListingTimes, eventBatchSchema, listingEventCursor, listingEvents, MAX_TIME_MS, listingsOf, ProtocolValidationError, type Listing, type UpsertEvent,
} from '@fustor/protocol';
import { decodeListingBatch, decodeListings, encodeListings, listingBatchBody } from '@fustor/protocol/listing-codec';
import { seededRandom } from '@fustor/test-helpers';

const KINDS = ['file', 'dir', 'symlink', 'fifo', 'socket', 'device'] as const;

/** Scan-shaped events: directories, each followed by its children, batch boundaries anywhere. */
function scanEvents(r: () => number, n: number, audit = false): UpsertEvent[] {
  const out: UpsertEvent[] = [];
  let observed = 1_764_000_000_000;
  const meta = (kind: string) =>
    r() < 0.1 ? {} : { kind: kind as UpsertEvent['kind'], uid: Math.floor(r() * 3), gid: 100, mode: 0o644, ...(r() < 0.9 ? { ctime_ms: observed - r() * 1e6 } : {}) };
  out.push({ op: 'upsert', path: '/', is_dir: true, mtime_ms: 5.5, observed_at_ms: observed, kind: 'dir', uid: 0, gid: 0, mode: 0o755, ctime_ms: 1 });
  let d = 0;
  while (out.length < n) {
    const parent = d === 0 ? '/' : `/d${Math.floor(r() * d)}`;
    const dir = `${parent === '/' ? '' : parent}/d${d}`;
    const dm = 1_700_000_000_000 + r() * 1e9;
    observed += Math.floor(r() * 3);
    out.push({ op: 'upsert', path: dir, is_dir: true, mtime_ms: dm, observed_at_ms: observed, parent_path: parent, parent_mtime_ms: 7, kind: 'dir', uid: 1, gid: 2, mode: 0o2775, ctime_ms: dm, ...(audit ? { audit_skipped: r() < 0.5 } : {}) });
    const files = Math.floor(r() * 12);
    for (let f = 0; f < files; f++) {
      const kind = r() < 0.9 ? 'file' : KINDS[Math.floor(r() * KINDS.length)]!;
      const e: UpsertEvent = { op: 'upsert', path: `${dir}/f ${f}.dat`, is_dir: kind === 'dir', mtime_ms: dm - r() * 1e5, observed_at_ms: observed, parent_path: dir, parent_mtime_ms: dm, ...meta(kind), kind };
      if (kind !== 'dir') e.size = Math.floor(r() * 1e6);
      out.push(e);
    }
    d++;
  }
  return out.slice(0, n);
}

const sorted = (e: object) => Object.fromEntries(Object.entries(e).sort(([a], [b]) => (a < b ? -1 : 1)));

describe('listings ↔ events', () => {
  it('round-trips scan-shaped events exactly, however a batch cuts a directory', () => {
    const r = seededRandom(11);
    for (let i = 0; i < 300; i++) {
      const events = scanEvents(r, 1 + Math.floor(r() * 80), r() < 0.3);
      const start = Math.floor(r() * events.length);
      const slice = events.slice(start);
      const ls = listingsOf(slice);
      expect(ls).not.toBeNull();
      const back = ls!.flatMap((l) => listingEvents(l));
      expect(back.map(sorted)).toEqual(slice.map(sorted));
    }
  });

  it('the cursor yields the same events as listingEvents through one reused object', () => {
    const r = seededRandom(13);
    const events = scanEvents(r, 400, true);
    const ls = listingsOf(events.slice(7))!;
    const seen: UpsertEvent[] = [];
    const objects = new Set<UpsertEvent>();
    for (const e of listingEventCursor(ls)) {
      objects.add(e);
      seen.push(JSON.parse(JSON.stringify(e)) as UpsertEvent); // a copy: the object is refilled next
    }
    expect(objects.size).toBe(1);
    expect(seen.map(sorted)).toEqual(ls.flatMap((l) => listingEvents(l)).map(sorted));
    expect([...listingEventCursor([])]).toEqual([]);
  });

  it('has no listing form for deletes, realtime fields, events without observed_at_ms or kind, or a child not named by its parent', () => {
    const ok: UpsertEvent = { op: 'upsert', path: '/a/b', is_dir: false, size: 1, mtime_ms: 1, observed_at_ms: 2, parent_path: '/a', parent_mtime_ms: 3, kind: 'file' };
    expect(listingsOf([ok])).not.toBeNull();
    expect(listingsOf([{ op: 'delete', path: '/a/b' }])).toBeNull();
    expect(listingsOf([{ ...ok, is_atomic_write: true }])).toBeNull();
    expect(listingsOf([{ ...ok, observed_at_ms: undefined }].map((e) => JSON.parse(JSON.stringify(e))))).toBeNull();
    expect(listingsOf([{ ...ok, kind: undefined }].map((e) => JSON.parse(JSON.stringify(e))))).toBeNull();
    expect(listingsOf([{ ...ok, path: '/x/b' }])).toBeNull();
    expect(listingsOf([{ ...ok, is_dir: true }])).toBeNull();
  });
});

describe('listing batches (MessagePack)', () => {
  it('decode gives the events of the listings, merged chunks included, valid under eventBatchSchema', () => {
    const r = seededRandom(5);
    const events = scanEvents(r, 500);
    const a = listingsOf(events.slice(0, 200))!;
    const b = listingsOf(events.slice(200))!;
    const body = listingBatchBody({ message_source: 'snapshot', batch_seq: 9 }, [encodeListings(a), encodeListings(b)], a.length + b.length);
    const batch = decodeListingBatch(body);
    expect(batch.message_source).toBe('snapshot');
    expect(batch.batch_seq).toBe(9);
    expect(batch.command_id).toBeUndefined();
    expect(batch.events.map(sorted)).toEqual(events.map(sorted));
    expect(eventBatchSchema.safeParse(batch).success).toBe(true);
    expect(decodeListings(encodeListings(a))).toEqual(a);
  });

  it.each([
    ['a row name with a slash', (l: Listing) => (l[4] = 'x/y'), "listings[0].rows[0].name: must be one path segment (no '/')"],
    ['a row name ..', (l: Listing) => (l[4] = '..'), "listings[0].rows[0].name: must not be '.' or '..'"],
    ['a kind code out of range', (l: Listing) => (l[5] = 6), 'listings[0].rows[0].kind: must be a kind code from 0 to 5'],
    ['a NaN mtime', (l: Listing) => (l[12 + 3] = NaN), 'listings[0].rows[1].mtime_ms: must be a time in ms since 1970-01-01 before 2200-01-01'],
    ['an mtime in 2300', (l: Listing) => (l[12 + 3] = Date.UTC(2300, 0, 1)), 'listings[0].rows[1].mtime_ms: must be a time'],
    ['a negative size', (l: Listing) => (l[6] = -1), 'listings[0].rows[0].size: must be a byte count'],
    ['a fractional size', (l: Listing) => (l[6] = 1.5), 'listings[0].rows[0].size: must be a byte count'],
    ['a file without a size', (l: Listing) => (l[6] = null), 'listings[0].rows[0].size: is required unless the entry is a directory'],
    ['a uid of 2^32-1', (l: Listing) => (l[8] = 0xffffffff), 'listings[0].rows[0].uid: must be an integer from 0 to 4294967294'],
    ['a mode over 0o7777', (l: Listing) => (l[10] = 0o10000), 'listings[0].rows[0].mode: must be permission bits'],
    ['a relative directory', (l: Listing) => (l[0] = 'a'), "listings[0].dir: must start with '/'"],
    ['audit_skipped outside an audit', (l: Listing) => (l[3]![6] = true), 'listings[0].self.audit_skipped: is allowed only on directories in audit batches'],
    ['a parent path without its mtime', (l: Listing) => (l[3]![1] = null), 'listings[0].self.parent_mtime_ms: parent_path and parent_mtime_ms go together'],
    ['a ragged row', (l: Listing) => l.push('extra'), 'listings[0]: must be an array [dir, mtime_ms, observed_at_ms, self'],
  ])('rejects %s, naming the row', (_what, mutate, message) => {
    const l: Listing = ['/d', 2, 3, ['/', 1, 0, 0, 0o755, 2, null], 'a', 0, 1, 2, 0, 0, 0o644, 3, 'b', 0, 1, 2, 0, 0, 0o644, 3];
    mutate(l);
    const body = listingBatchBody({ message_source: 'snapshot', batch_seq: 1 }, [encodeListings([l])], 1);
    expect(() => decodeListingBatch(body)).toThrow(ProtocolValidationError);
    expect(() => decodeListingBatch(body)).toThrow(message);
  });

  it('clampListingTimes brings a 1969 or 2300 time into the window, as the JSON encoder does, so the batch is accepted', () => {
    const l: Listing = ['/d', -5, 3, ['/', Date.UTC(2300, 0, 1), null, null, null, -1, null], 'a', 0, 1, -1000, null, null, null, Date.UTC(2400, 0, 1)];
    clampListingTimes([l]);
    expect(l.slice(0, 3)).toEqual(['/d', 0, 3]);
    expect(l[3]).toEqual(['/', MAX_TIME_MS, null, null, null, 0, null]);
    expect([l[4 + 3], l[4 + 7]]).toEqual([0, MAX_TIME_MS]);
    const body = listingBatchBody({ message_source: 'snapshot', batch_seq: 1 }, [encodeListings([l])], 1);
    expect(decodeListingBatch(body).events).toHaveLength(2);
  });

  it('rejects a string that is not UTF-8 (as a JSON body), and keeps a real U+FFFD', () => {
    const l = (name: string): Listing => ['/d', 2, 3, null, name, 0, 1, 2, null, null, null, null];
    const body = listingBatchBody({ message_source: 'snapshot', batch_seq: 1 }, [encodeListings([l('aXb')])], 1);
    const at = body.indexOf(Buffer.from('aXb'));
    body[at + 1] = 0xff;
    expect(() => decodeListingBatch(body)).toThrow('a string is not valid UTF-8');
    const real = listingBatchBody({ message_source: 'snapshot', batch_seq: 1 }, [encodeListings([l('a\uFFFDb')])], 1);
    expect(decodeListingBatch(real).events[0]!.path).toBe('/d/a\uFFFDb');
  });

  it('rejects what is not one MessagePack array of the layout: trailing bytes, a map, another version, too many events, no command_id on demand', () => {
    const p = new Packr({ useRecords: false });
    const good = listingBatchBody({ message_source: 'snapshot', batch_seq: 1 }, [], 0);
    expect(decodeListingBatch(good).events).toEqual([]);
    expect(() => decodeListingBatch(Buffer.concat([good, Buffer.from([0xc0])]))).toThrow(/one MessagePack value/);
    expect(() => decodeListingBatch(good.subarray(0, 3))).toThrow(/not valid MessagePack/);
    expect(() => decodeListingBatch(p.pack({ message_source: 'snapshot' }))).toThrow(/must be an array/);
    expect(() => decodeListingBatch(p.pack([2, 'snapshot', 1, null]))).toThrow('version: must be 1');
    expect(() => decodeListingBatch(p.pack([1, 'on_demand', 1, null]))).toThrow('command_id: is required for on_demand batches');
    const big: Listing = ['/d', 1, 2, null];
    for (let i = 0; i < 10_001; i++) big.push(`f${i}`, 0, 1, 2, null, null, null, null);
    expect(() => decodeListingBatch(p.pack([1, 'snapshot', 1, null, big]))).toThrow('listings: must hold at most 10000 events');
    expect(() => decodeListingBatch(Buffer.concat([Buffer.alloc(100_000, 0x91), Buffer.from([1])]))).toThrow(ProtocolValidationError);
  });

  // Values a fuzzed slot may take: valid and invalid of every MessagePack type the decoder could see.
  const VALUES: unknown[] = [null, 0, -1, 1.5, NaN, Infinity, 2 ** 53, 0xfffffffe, 0xffffffff, 0o7777, 0o10000, 5, 6, true, false, '', 'x', '.', '..', 'a/b', 'a\0b', '/', '/a', '/a/', '//a', 'snapshot', 'audit', 'on_demand', 'realtime', [], [null, null, null, null, null, null, null], { a: 1 }];

  it('on 20,000 mutated batches accepts only what eventBatchSchema accepts, with the same events', () => {
    const r = seededRandom(23);
    const p = new Packr({ useRecords: false });
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const source = (['snapshot', 'audit', 'on_demand', 'realtime'] as const)[Math.floor(r() * 4)]!;
      const ls = listingsOf(scanEvents(r, 1 + Math.floor(r() * 20), source === 'audit'))! as unknown[][];
      const body: unknown[] = [1, source, Math.floor(r() * 5), source === 'on_demand' ? 'cmd_1' : null, ...ls];
      for (let m = Math.floor(r() * 3); m > 0; m--) {
        const value = VALUES[Math.floor(r() * VALUES.length)];
        const at = r();
        if (at < 0.1) body[Math.floor(r() * 4)] = value;
        else {
          const l = ls[Math.floor(r() * ls.length)]!;
          const i = Math.floor(r() * l.length);
          if (i === 3 && Array.isArray(l[3]) && r() < 0.7) (l[3] as unknown[])[Math.floor(r() * 7)] = value;
          else l[i] = value;
        }
      }
      let decoded;
      try {
        decoded = decodeListingBatch(p.pack(body));
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolValidationError);
        continue;
      }
      accepted++;
      const zod = eventBatchSchema.safeParse(decoded);
      expect(zod.success, JSON.stringify(body)).toBe(true);
      expect(zod.data).toEqual(decoded);
    }
    // Unmutated batches are the common case: the decoder must accept them.
    expect(accepted).toBeGreaterThan(5000);
  });
});
