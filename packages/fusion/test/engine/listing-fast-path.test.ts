// The listing fast path (apply-events.ts beginListingRows) changes nothing: compact batches applied through the
// listing cursor leave the same view, feed and aggregates as the same events applied one by one.

import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { listingEventCursor, listingEvents, type Listing, type ListingSelf, type UpsertEvent } from '@fustor/protocol';
import { NodeTable } from '../../src/tree/node-table.js';
import { T0, Harness } from './harness.js';
import { checkAggregates, dumpView } from './dump.js';
import { apply, opArb, type Op } from './random-view.js';

const NAMES = ['a', 'b', 'c', 'é'];
const dirArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant('/') },
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 2 }).map((s) => '/' + s.join('/')) },
);
const timeArb = fc.oneof(fc.integer({ min: -120_000, max: 300_000 }), fc.integer({ min: -30 * 86_400_000, max: 0 })).map((d) => T0 + d);
const idArb = fc.constantFrom(null, 0, 1000, 1001);
// Names repeat on purpose: a listing naming a child twice must not take the fast path.
const rowArb = fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(0, 1, 2), fc.nat(5000), timeArb, idArb, idArb, fc.constantFrom(null, 0o644, 0o755), fc.option(timeArb, { nil: null }));
const listingArb: fc.Arbitrary<Listing> = fc
  .record({ dir: dirArb, mtime: timeArb, self: fc.boolean(), parentMtime: fc.option(timeArb, { nil: null }), rows: fc.array(rowArb, { maxLength: 5 }) })
  .map(({ dir, mtime, self, parentMtime, rows }) => {
    const parent = dir === '/' ? null : dir.slice(0, Math.max(1, dir.lastIndexOf('/')));
    const s: ListingSelf | null = self ? [parent, parent === null ? null : parentMtime, 1000, 1000, 0o755, mtime, null] : null;
    const l: Listing = [dir, mtime, T0, s];
    for (const [name, kind, size, m, uid, gid, mode, ctime] of rows) l.push(name, kind, kind === 1 ? null : size, m, uid, gid, mode, ctime);
    return l;
  });

type Step = { t: 'listings'; source: 'snapshot' | 'audit' | 'on_demand'; listings: Listing[] } | { t: 'op'; op: Op };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('listings' as const), source: fc.constantFrom('snapshot' as const, 'audit' as const, 'on_demand' as const), listings: fc.array(listingArb, { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: opArb.map((op) => ({ t: 'op' as const, op })) },
);

/** Applies the steps; compact batches through the cursor (fast path on) or as plain events (off). */
function run(steps: Step[], cursor: boolean): Harness {
  const h = new Harness();
  for (const s of steps) {
    if (s.t === 'op') {
      apply(h, [s.op]);
      continue;
    }
    const events: Iterable<UpsertEvent> = cursor ? listingEventCursor(s.listings) : s.listings.flatMap((l) => listingEvents(l));
    h.v.applyBatch(s.source, events, { session_id: 's1', batch_seq: h.seq++, command_id: s.source === 'on_demand' ? 'cmd' : null });
  }
  return h;
}

async function everything(h: Harness) {
  const st = h.v.stats('/')!;
  const feed = await h.v.changes(0, 1_000_000, () => true, 1_000_000_000);
  return { dump: dumpView(h.v), files: st.file_count, dirs: st.dir_count, size: st.total_size, feed: feed.records };
}

describe('listing fast path', () => {
  it('compact batches through the cursor equal the same events one by one (random batches, tombstones, audits)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 25 }), async (steps) => {
        const fast = run(steps, true);
        const plain = run(steps, false);
        try {
          expect(checkAggregates(fast.v)).toEqual([]);
          expect(await everything(fast)).toEqual(await everything(plain));
        } finally {
          fast.close();
          plain.close();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('takes the fast path: a snapshot listing filling an empty directory looks up no child per row', () => {
    const h = new Harness();
    const lookups = vi.spyOn(NodeTable.prototype, 'childAt');
    try {
      const old = T0 - 86_400_000;
      const l: Listing = ['/d', old, T0, ['/', old, 0, 0, 0o755, old, null]];
      for (let i = 0; i < 50; i++) l.push(`f${i}`, 0, i, old, 0, 0, 0o644, old);
      h.v.applyBatch('snapshot', listingEventCursor([l]), { session_id: 's1', batch_seq: h.seq++, command_id: null });
      expect(h.v.stats('/d')).toMatchObject({ file_count: 50 });
      // The directory's own entry and the listing's start look up a few names; the 50 rows none.
      expect(lookups.mock.calls.length).toBeLessThan(5);
      lookups.mockClear();
      // The same rows again (the directory has children now): the ordinary path, one lookup per row.
      h.v.applyBatch('snapshot', listingEventCursor([l]), { session_id: 's1', batch_seq: h.seq++, command_id: null });
      expect(lookups.mock.calls.length).toBeGreaterThanOrEqual(50);
    } finally {
      lookups.mockRestore();
      h.close();
    }
  });

  it('regression: a listing naming a child twice in an empty directory creates it once', () => {
    const h = new Harness();
    try {
      const old = T0 - 86_400_000;
      const l: Listing = ['/d', old, T0, ['/', old, 0, 0, 0o755, old, null], 'x', 0, 1, old, 0, 0, 0o644, old, 'x', 0, 2, old, 0, 0, 0o644, old];
      h.v.applyBatch('snapshot', listingEventCursor([l]), { session_id: 's1', batch_seq: h.seq++, command_id: null });
      expect(h.v.stats('/d')).toMatchObject({ file_count: 1, total_size: 2 });
      expect(h.node('/d')!.children!.items.map((c) => c.name)).toEqual(['x']);
    } finally {
      h.close();
    }
  });
});
