// Search: glob on base names or whole paths, filters, scope, pagination with an exact total.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SearchQuery } from '@fustor/protocol';
import { searchTree, searchTreeAsync } from '../../src/tree/search.js';
import type { TreeIndex } from '../../src/tree/tree-index.js';
import type { ViewEngineImpl } from '../../src/views/view-engine.js';
import { Harness, OLD, del, dir, up } from './harness.js';

const q = (over: Partial<SearchQuery>): SearchQuery => ({ pattern: '*', path: '/', type: 'any', page: 1, page_size: 100, ...over }) as SearchQuery;

describe('search', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
    h.send('snapshot', [
      dir('/a', OLD),
      up('/a/x.fastq', OLD, { size: 10 }),
      up('/a/.hidden.fastq', OLD, { size: 20 }),
      up('/a/y.txt', OLD + 5, { size: 30 }),
      dir('/a/sub.fastq', OLD),
      up('/a/sub.fastq/z.fastq', OLD + 10, { size: 40 }),
      up('/b/w.fastq', OLD + 20, { size: 50 }),
    ]);
  });
  afterEach(() => h.close());
  const paths = async (query: SearchQuery) => (await h.v.search!(query)).items.map((n) => n.path).sort();

  it('matches base names anywhere below the scope, dot-files included', async () => {
    expect(await paths(q({ pattern: '*.fastq' }))).toEqual(['/a/.hidden.fastq', '/a/sub.fastq', '/a/sub.fastq/z.fastq', '/a/x.fastq', '/b/w.fastq']);
  });
  it('a pattern with a slash matches whole view paths', async () => {
    expect(await paths(q({ pattern: '/a/**/*.fastq', type: 'file' }))).toEqual(['/a/.hidden.fastq', '/a/sub.fastq/z.fastq', '/a/x.fastq']);
    expect(await paths(q({ pattern: '/b/*' }))).toEqual(['/b/w.fastq']);
    expect(await paths(q({ pattern: '/a/sub.fastq/**' }))).toEqual(['/a/sub.fastq', '/a/sub.fastq/z.fastq']);
    expect(await paths(q({ pattern: '{/a/x.fastq,/b/w.fastq}' }))).toEqual(['/a/x.fastq', '/b/w.fastq']);
  });
  it('filters by type, size and mtime, and limits to the scope (not the scope itself)', async () => {
    expect(await paths(q({ pattern: '*.fastq', type: 'dir' }))).toEqual(['/a/sub.fastq']);
    expect(await paths(q({ type: 'file', min_size: 20, max_size: 40 }))).toEqual(['/a/.hidden.fastq', '/a/sub.fastq/z.fastq', '/a/y.txt']);
    expect(await paths(q({ type: 'file', modified_after_ms: OLD + 5, modified_before_ms: OLD + 20 }))).toEqual(['/a/sub.fastq/z.fastq', '/a/y.txt']);
    expect(await paths(q({ path: '/a/sub.fastq' }))).toEqual(['/a/sub.fastq/z.fastq']);
    // A scope holding most of the view takes the column-scan path; a small one the subtree walk.
    expect(await paths(q({ path: '/a', pattern: '*.fastq' }))).toEqual(['/a/.hidden.fastq', '/a/sub.fastq', '/a/sub.fastq/z.fastq', '/a/x.fastq']);
    expect(await paths(q({ path: '/a', pattern: '/**/z*' }))).toEqual(['/a/sub.fastq/z.fastq']);
    expect(await paths(q({ path: '/b', pattern: '/**/*.fastq' }))).toEqual(['/b/w.fastq']);
  });
  it('paginates with an exact total and a stable order', async () => {
    const p1 = await h.v.search!(q({ page_size: 3 }));
    const p2 = await h.v.search!(q({ page_size: 3, page: 2 }));
    const p3 = await h.v.search!(q({ page_size: 3, page: 3 }));
    expect([p1.total, p1.pages, p1.items.length, p2.items.length, p3.items.length]).toEqual([8, 3, 3, 3, 2]);
    const all = [...p1.items, ...p2.items, ...p3.items].map((n) => n.path);
    expect(new Set(all).size).toBe(8);
    expect((await h.v.search!(q({ page_size: 3 }))).items.map((n) => n.path)).toEqual(p1.items.map((n) => n.path));
  });
  it('a scope that does not exist is a 404 (40401)', async () => {
    await expect(h.v.search!(q({ path: '/nope' }))).rejects.toThrow(expect.objectContaining({ code: 40401 }));
  });
});

describe('search on a large view yields to the event loop (one search froze Fusion)', () => {
  let h: Harness;
  const N = 20_000;
  beforeEach(() => {
    h = new Harness();
    for (let b = 0; b < N / 1000; b++) {
      h.send('snapshot', Array.from({ length: 1000 }, (_, i) => up(`/d${b % 4}/${'a'.repeat(200)}${b * 1000 + i}`, OLD, { size: i })));
    }
  });
  afterEach(() => h.close());
  const tree = (): TreeIndex => (h.v as ViewEngineImpl).state.tree;

  it('lets other work run between slices of a backtracking-hostile search', async () => {
    let turns = 0;
    let done = false;
    const spin = () => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const page = await searchTreeAsync(tree(), '/', q({ pattern: '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*[b]' }), 0);
    done = true;
    expect(page!.total).toBe(0);
    // a blocking search lets no turn happen before it returns; this one pauses every 1,024 nodes
    expect(turns).toBeGreaterThanOrEqual(Math.floor(N / 1024) - 1);
  });

  it('stays correct while ingest removes and re-creates nodes between slices', async () => {
    const want = q({ pattern: '*7', page_size: 1000 });
    const running = searchTreeAsync(tree(), '/d1', want, 0);
    // removals free ids that new nodes reuse, possibly in other directories, while the search is paused
    await new Promise((r) => setImmediate(r));
    h.send('realtime', [del('/d1'), del('/d2')]);
    h.send('realtime', Array.from({ length: 3000 }, (_, i) => up(`/d1/new${i}7`, OLD + 1)));
    h.send('realtime', Array.from({ length: 3000 }, (_, i) => up(`/e/x${i}7`, OLD + 1)));
    const page = (await running)!;
    for (const n of page.items) {
      expect(n.path.startsWith('/d1/'), n.path).toBe(true);
      expect(n.path.endsWith('7'), n.path).toBe(true);
      expect(h.node(n.path), n.path).not.toBeNull();
    }
    // after the search, the same query over the settled tree sees exactly the new files
    const settled = searchTree(tree(), '/d1', want)!;
    expect(settled.total).toBe(3000);
  });
});

describe('compileGlob fast path', () => {
  it('agrees with picomatch (dot: true) on literal-and-star patterns', async () => {
    const picomatch = (await import('picomatch')).default;
    const { compileGlob } = await import('../../src/tree/glob.js');
    const names = ['', '.dat', 'a.dat', '.a.dat', 'ab', 'abc', 'a', 'b.dat.gz', 'f1.dat', 'f12x.dat', 'xf1.dat', 'é😀.dat', 'aXbXc'];
    const patterns = ['*', '*.dat', 'f1*', 'f1*.dat', '*1*', 'a*b*c', 'a**c', 'abc', '*.*', 'a*', '*a', 'é*'];
    for (const p of patterns) {
      const fast = compileGlob(p);
      const ref = picomatch(p, { dot: true });
      for (const n of names) expect(fast(n), `${p} vs '${n}'`).toBe(ref(n));
    }
  });
});
