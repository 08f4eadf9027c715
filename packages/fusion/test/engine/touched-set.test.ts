// TouchedSet (tree/touched-set.ts) behaves as the Set<number> it replaced: membership, insertion order,
// size, clear — checked against a real Set on random operation sequences, ids far past its first bitmap.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TouchedSet } from '../../src/tree/touched-set.js';

type Op = { op: 'add'; id: number } | { op: 'clear' };

describe('TouchedSet', () => {
  it('agrees with a Set<number> on every sequence of adds and clears', () => {
    const op = fc.oneof(
      { weight: 20, arbitrary: fc.record({ op: fc.constant('add' as const), id: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 200_000 })) }) },
      { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops: Op[]) => {
        const ours = new TouchedSet();
        const ref = new Set<number>();
        for (const o of ops) {
          if (o.op === 'add') {
            ours.add(o.id);
            ref.add(o.id);
          } else {
            ours.clear();
            ref.clear();
          }
          expect(ours.size).toBe(ref.size);
        }
        expect([...ours]).toEqual([...ref]);
        expect(ours.list()).toEqual([...ref]);
        for (let id = 0; id <= 40; id++) expect(ours.has(id)).toBe(ref.has(id));
        for (const id of ref) expect(ours.has(id)).toBe(true);
      }),
      { seed: 20261203, numRuns: 300 },
    );
  });

  it('an id added again after a clear is listed again, once', () => {
    const s = new TouchedSet();
    s.add(5).add(70_000).add(5);
    expect(s.list()).toEqual([5, 70_000]);
    s.clear();
    expect(s.has(70_000)).toBe(false);
    s.add(70_000).add(70_000);
    expect([...s]).toEqual([70_000]);
  });
});
