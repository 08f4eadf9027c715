// Search: glob on base names or whole paths, filters, scope, pagination with an exact total.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SearchQuery } from '@fustor/protocol';
import { Harness, OLD, dir, up } from './harness.js';

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
  const paths = (query: SearchQuery) => h.v.search!(query).items.map((n) => n.path).sort();

  it('matches base names anywhere below the scope, dot-files included', () => {
    expect(paths(q({ pattern: '*.fastq' }))).toEqual(['/a/.hidden.fastq', '/a/sub.fastq', '/a/sub.fastq/z.fastq', '/a/x.fastq', '/b/w.fastq']);
  });
  it('a pattern with a slash matches whole view paths', () => {
    expect(paths(q({ pattern: '/a/**/*.fastq', type: 'file' }))).toEqual(['/a/.hidden.fastq', '/a/sub.fastq/z.fastq', '/a/x.fastq']);
    expect(paths(q({ pattern: '/b/*' }))).toEqual(['/b/w.fastq']);
    expect(paths(q({ pattern: '/a/sub.fastq/**' }))).toEqual(['/a/sub.fastq', '/a/sub.fastq/z.fastq']);
    expect(paths(q({ pattern: '{/a/x.fastq,/b/w.fastq}' }))).toEqual(['/a/x.fastq', '/b/w.fastq']);
  });
  it('filters by type, size and mtime, and limits to the scope (not the scope itself)', () => {
    expect(paths(q({ pattern: '*.fastq', type: 'dir' }))).toEqual(['/a/sub.fastq']);
    expect(paths(q({ type: 'file', min_size: 20, max_size: 40 }))).toEqual(['/a/.hidden.fastq', '/a/sub.fastq/z.fastq', '/a/y.txt']);
    expect(paths(q({ type: 'file', modified_after_ms: OLD + 5, modified_before_ms: OLD + 20 }))).toEqual(['/a/sub.fastq/z.fastq', '/a/y.txt']);
    expect(paths(q({ path: '/a/sub.fastq' }))).toEqual(['/a/sub.fastq/z.fastq']);
    // A scope holding most of the view takes the column-scan path; a small one the subtree walk.
    expect(paths(q({ path: '/a', pattern: '*.fastq' }))).toEqual(['/a/.hidden.fastq', '/a/sub.fastq', '/a/sub.fastq/z.fastq', '/a/x.fastq']);
    expect(paths(q({ path: '/a', pattern: '/**/z*' }))).toEqual(['/a/sub.fastq/z.fastq']);
    expect(paths(q({ path: '/b', pattern: '/**/*.fastq' }))).toEqual(['/b/w.fastq']);
  });
  it('paginates with an exact total and a stable order', () => {
    const p1 = h.v.search!(q({ page_size: 3 }));
    const p2 = h.v.search!(q({ page_size: 3, page: 2 }));
    const p3 = h.v.search!(q({ page_size: 3, page: 3 }));
    expect([p1.total, p1.pages, p1.items.length, p2.items.length, p3.items.length]).toEqual([8, 3, 3, 3, 2]);
    const all = [...p1.items, ...p2.items, ...p3.items].map((n) => n.path);
    expect(new Set(all).size).toBe(8);
    expect(h.v.search!(q({ page_size: 3 })).items.map((n) => n.path)).toEqual(p1.items.map((n) => n.path));
  });
  it('a scope that does not exist is a 404 (40401)', () => {
    expect(() => h.v.search!(q({ path: '/nope' }))).toThrow(expect.objectContaining({ code: 40401 }));
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
