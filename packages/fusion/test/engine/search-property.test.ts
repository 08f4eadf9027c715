// Property tests: search's metadata filters, sorts and blind-spot deletions on random views equal a brute-force filter over the view's nodes.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SearchQuery } from '@fustor/protocol';
import { Harness } from './harness.js';
import { apply, labelsOf, opArb } from './random-view.js';
import { codePointCompare, plainNodes, refSearch, type PlainNode } from './report-reference.js';

/** Patterns with an obvious reference meaning (glob semantics themselves are tested in search.test.ts). */
const PATTERNS: Record<string, (path: string) => boolean> = {
  '*': () => true,
  'a*': (p) => base(p).startsWith('a'),
  '*b': (p) => base(p).endsWith('b'),
  '/a/*': (p) => /^\/a\/[^/]+$/.test(p),
};
const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });

const searchArb = fc.record({
  pattern: fc.constantFrom(...Object.keys(PATTERNS)),
  pick: fc.option(fc.nat(1000), { nil: undefined }),
  type: fc.constantFrom('any' as const, 'file' as const, 'dir' as const),
  min_size: optional(fc.constantFrom(1, 4, 1000)),
  owner: optional(fc.constantFrom('alice', 'bob', 'root', 'nobody-by-that-name')),
  uid: optional(fc.constantFrom(0, 1000, 1001, 1002)),
  group: optional(fc.constantFrom('lab', 'alice', 'unknown-group')),
  gid: optional(fc.constantFrom(0, 1001, 4294967294)),
  kind: optional(fc.constantFrom('file' as const, 'dir' as const, 'symlink' as const, 'device' as const)),
  suspect: optional(fc.boolean()),
  blind_spot: optional(fc.constantFrom('addition' as const, 'none' as const)),
  sort_by: optional(fc.constantFrom('size' as const, 'mtime' as const, 'path' as const)),
  sort_order: fc.constantFrom('asc' as const, 'desc' as const),
  page: fc.integer({ min: 1, max: 3 }),
  page_size: fc.integer({ min: 1, max: 5 }),
});

function scopeOf(nodes: PlainNode[], pick: number | undefined): string {
  return pick === undefined || nodes.length === 0 ? '/' : nodes[pick % nodes.length]!.path;
}

describe('search filters and sorts equal a brute-force filter on random views', () => {
  it('owner/uid, group/gid, kind, suspect, blind_spot, type, size; sort_by size|mtime|path; pages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.array(searchArb, { minLength: 1, maxLength: 4 }), async (ops, queries) => {
        const h = new Harness();
        try {
          apply(h, ops);
          const nodes = plainNodes(h.v);
          const names = labelsOf(ops);
          for (const s of queries) {
            const { pick, ...rest } = s;
            const q = { ...rest, path: scopeOf(nodes, pick) } as SearchQuery;
            const ref = refSearch(nodes, q, names, (n) => PATTERNS[q.pattern]!(n.path));
            const got = await h.v.search!(q);
            expect(got.total, JSON.stringify(q)).toBe(ref.length);
            expect(got.items.map((n) => n.path), JSON.stringify(q)).toEqual(ref.slice((q.page - 1) * q.page_size, q.page * q.page_size));
          }
        } finally {
          h.close();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('blind_spot=deletion answers the deletion set, matched by pattern and scope, in path order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.constantFrom(...Object.keys(PATTERNS)), fc.constantFrom('/', '/a', '/b/c'), fc.constantFrom('asc' as const, 'desc' as const), async (ops, pattern, path, order) => {
        const h = new Harness();
        try {
          apply(h, ops);
          const dels = h.blind('deletion');
          const prefix = path === '/' ? '/' : path + '/';
          const ref = dels.filter((p) => p.startsWith(prefix) && PATTERNS[pattern]!(p)).sort((a, b) => (order === 'asc' ? 1 : -1) * codePointCompare(a, b));
          const q = { pattern, path, type: 'any', blind_spot: 'deletion', sort_order: order, page: 1, page_size: 1000 } as SearchQuery;
          const got = await h.v.search!(q);
          expect(got.items.map((n) => n.path)).toEqual(ref);
          for (const n of got.items) {
            expect(n.blind_spot).toBe('deletion');
            // is_dir is evidence only: another deletion lies below it.
            expect(n.is_dir).toBe(dels.some((d) => d.startsWith(n.path + '/')));
          }
          // Any filter on node attributes matches no deletion.
          expect((await h.v.search!({ ...q, type: 'file' })).total).toBe(0);
          expect((await h.v.search!({ ...q, owner: 'alice' })).total).toBe(0);
        } finally {
          h.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
