// Property test: the bounded heap and ranked page selection equal a full sort (highest key first, ties by id).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TopK, rankedSlice } from '../../src/tree/top-k.js';

const keysArb = fc.array(fc.oneof(fc.constantFrom(0, 1, -1, 5, Infinity, -Infinity), fc.double({ noNaN: true })), { maxLength: 400 });
const bySort = (keys: number[]) => keys.map((k, id) => ({ id, k })).sort((a, b) => (a.k === b.k ? a.id - b.id : b.k > a.k ? 1 : -1)).map((e) => e.id);

describe('TopK', () => {
  it('keeps the k best (key, id) pairs, best first', () => {
    fc.assert(
      fc.property(keysArb, fc.nat(50), (keys, k) => {
        const top = new TopK(k);
        keys.forEach((key, id) => top.offer(id, key));
        expect(top.sorted().map((e) => e.id)).toEqual(bySort(keys).slice(0, k));
      }),
    );
  });

  it('rankedSlice answers any page, by heap (front pages) or by sort (deep ones)', () => {
    fc.assert(
      fc.property(keysArb, fc.nat(450), fc.nat(60), (keys, from, len) => {
        // ids in a shuffled-looking order: the ranking must not depend on the input order.
        const ids = Int32Array.from(keys.map((_, i) => (i * 7919) % keys.length));
        const got = rankedSlice(ids, ids.length, (id) => keys[id]!, from, from + len);
        expect(got).toEqual(bySort(keys).slice(from, from + len));
      }),
    );
  });
});
