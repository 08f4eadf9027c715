// Property tests: on random views (metadata, deletes, audits, principals) every report equals a brute-force reference, at the root and at random subtrees, in one slice or many.

import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TopItem } from '@fustor/protocol';
import { slicing } from '../../src/reports/subtree-slices.js';
import { Harness } from './harness.js';
import { apply, labelsOf, opArb } from './random-view.js';
import { plainNodes, refHistogram, refTop, refUsage, type PlainNode } from './report-reference.js';
const defaultSlice = slicing.nodes;
afterEach(() => {
  slicing.nodes = defaultSlice;
});

/** The root, plus a few paths of the view (directories and files) picked by index. */
function scopes(nodes: PlainNode[], picks: number[]): string[] {
  return ['/', ...picks.filter(() => nodes.length > 0).map((i) => nodes[i % nodes.length]!.path)];
}

function topKey(n: TopItem, by: 'size' | 'mtime'): number {
  if (!n.is_dir) return by === 'size' ? n.size! : n.mtime_ms!;
  return by === 'size' ? n.total_size! : Math.max(n.mtime_ms!, n.latest_mtime_ms ?? -Infinity);
}

const queryArb = fc.record({
  picks: fc.array(fc.nat(1000), { maxLength: 3 }),
  slice: fc.constantFrom(1, 2, 3, 7, 32_768),
  page: fc.integer({ min: 1, max: 3 }),
  pageSize: fc.integer({ min: 1, max: 4 }),
  by: fc.constantFrom('size' as const, 'mtime' as const),
  order: fc.constantFrom('desc' as const, 'asc' as const),
  type: fc.constantFrom('file' as const, 'dir' as const),
  limit: fc.integer({ min: 1, max: 12 }),
});

describe('reports equal a brute-force reference on random views', () => {
  it('usage, top and histogram at the root and random subtrees', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), queryArb, async (ops, q) => {
        const h = new Harness();
        try {
          apply(h, ops);
          const nodes = plainNodes(h.v);
          const names = labelsOf(ops);
          slicing.nodes = q.slice;
          for (const path of scopes(nodes, q.picks)) {
            for (const by of ['owner', 'group'] as const) {
              const ref = refUsage(nodes, path, by, by === 'owner' ? names.users : names.groups);
              const page = await h.v.usage({ path, by, page: q.page, page_size: q.pageSize });
              expect(page.total, `usage ${by} ${path}`).toBe(ref.length);
              expect(page.items, `usage ${by} ${path}`).toEqual(ref.slice((q.page - 1) * q.pageSize, q.page * q.pageSize));
            }
            const tq = { path, by: q.by, order: q.order, type: q.type, limit: q.limit };
            const got = await h.v.top(tq);
            const ref = refTop(nodes, path, tq);
            expect(got.map((n) => n.path), `top ${JSON.stringify(tq)}`).toEqual(ref.map((r) => r.path));
            expect(got.map((n) => topKey(n, q.by))).toEqual(ref.map((r) => r.key));
            if (q.type === 'dir') {
              expect(got.map((n) => [n.file_count, n.dir_count, n.total_size])).toEqual(ref.map((r) => [r.file_count, r.dir_count, r.total_size]));
            }
            for (const of of ['size', 'age'] as const) {
              const hg = await h.v.histogram({ path, of });
              const bins = refHistogram(nodes, path, of, hg.watermark_ms);
              expect(hg.bins, `histogram ${of} ${path}`).toEqual(bins);
              expect(hg.file_count).toBe(bins.reduce((a, b) => a + b.file_count, 0));
            }
          }
        } finally {
          h.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
