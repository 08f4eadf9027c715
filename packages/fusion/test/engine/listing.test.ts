// Tree listings: directories first, code-point name order, sort keys and order, pagination, nested truncation, only_path.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TreeNode } from '@fustor/protocol';
import type { TreeListOptions } from '../../src/contract.js';
import { Harness, OLD, dir, up } from './harness.js';

const opts = (over: Partial<TreeListOptions> = {}): TreeListOptions => ({
  depth: 1, page: 1, page_size: 100, sort_by: 'name', sort_order: 'asc', only_path: false, ...over,
});
const names = (n: TreeNode | null) => n!.children!.items.map((c) => c.name);

describe('tree listing', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
    h.send('snapshot', [
      up('/b', OLD + 3, { size: 1 }),
      up('/\uffff', OLD + 1, { size: 3 }),
      up('/😀', OLD + 2, { size: 2 }),
      up('/A', OLD + 4, { size: 9 }),
      dir('/zdir', OLD),
      dir('/adir', OLD + 9),
      up('/adir/x', OLD),
      up('/adir/y', OLD),
      up('/adir/z', OLD),
    ]);
  });
  afterEach(() => h.close());

  it('lists directories first, then names in code-point order (astral after U+FFFF)', () => {
    expect(names(h.v.tree('/', opts()))).toEqual(['adir', 'zdir', 'A', 'b', '\uffff', '😀']);
  });
  it('sorts by size or mtime, and desc reverses within each group', () => {
    expect(names(h.v.tree('/', opts({ sort_by: 'size' })))).toEqual(['adir', 'zdir', 'b', '😀', '\uffff', 'A']);
    expect(names(h.v.tree('/', opts({ sort_by: 'mtime', sort_order: 'desc' })))).toEqual(['adir', 'zdir', 'A', 'b', '😀', '\uffff']);
    expect(names(h.v.tree('/', opts({ sort_order: 'desc' })))).toEqual(['zdir', 'adir', '😀', '\uffff', 'b', 'A']);
  });
  it('paginates, and the cached order follows later changes', () => {
    const p2 = h.v.tree('/', opts({ page: 2, page_size: 4 }))!;
    expect([p2.children!.total, p2.children!.pages, names(p2)].flat()).toEqual([6, 2, '\uffff', '😀']);
    h.send('realtime', [up('/B', OLD)]);
    expect(names(h.v.tree('/', opts({ page: 2, page_size: 4 })))).toEqual(['b', '\uffff', '😀']);
  });
  it('nested levels show their first page and say truncated; only_path trims fields', () => {
    const n = h.v.tree('/', opts({ depth: 2, page_size: 2 }))!;
    const adir = n.children!.items[0]!;
    expect(adir.children).toMatchObject({ total: 3, truncated: true });
    expect(adir.children!.items.map((c) => c.path)).toEqual(['/adir/x', '/adir/y']);
    expect(n.children!.truncated).toBeUndefined();
    const p = h.v.tree('/adir', opts({ only_path: true }))!;
    expect(p.children!.items[0]).toEqual({ path: '/adir/x', name: 'x', is_dir: false });
  });
  it('a file path answers the node without children; a missing path answers null', () => {
    expect(h.v.tree('/b', opts())).toMatchObject({ path: '/b', is_dir: false, size: 1 });
    expect(h.v.tree('/b', opts())!.children).toBeUndefined();
    expect(h.v.tree('/nope', opts())).toBeNull();
  });
});
