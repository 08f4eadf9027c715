// Reports of consumers.md §2 on a small hand-made view: usage by owner/group, top files and directories, size and age histograms.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistogramQuery, TopQuery, UsageQuery } from '@fustor/protocol';
import { Harness, OLD, T0, dir, up } from './harness.js';

const usage = (over: Partial<UsageQuery> = {}): UsageQuery => ({ path: '/', by: 'owner', page: 1, page_size: 100, ...over });
const top = (over: Partial<TopQuery> = {}): TopQuery => ({ path: '/', by: 'size', order: 'desc', type: 'file', limit: 100, ...over });
const hist = (over: Partial<HistogramQuery> = {}): HistogramQuery => ({ path: '/', of: 'size', ...over });

let h: Harness;
beforeEach(() => {
  h = new Harness();
  // alice (1001) owns /proj and two big files; bob (1002) a small one; /legacy came from an agent that reports no ids.
  h.send('snapshot', [
    dir('/proj', OLD, { uid: 1001, gid: 100, kind: 'dir' }),
    up('/proj/a.bam', OLD + 1, { size: 3000, uid: 1001, gid: 100, kind: 'file' }),
    up('/proj/b.bam', OLD + 2, { size: 1000, uid: 1001, gid: 200, kind: 'file' }),
    up('/proj/c.txt', OLD + 3, { size: 5, uid: 1002, gid: 100, kind: 'file' }),
    dir('/proj/empty', OLD + 9, { uid: 1002, gid: 100, kind: 'dir' }),
    up('/proj/link', OLD + 4, { size: 12, uid: 1002, gid: 100, kind: 'symlink' }),
    up('/legacy/old.dat', OLD - 50, { size: 0 }),
  ]);
  h.v.setPrincipals({ '1001': 'alice', '1002': 'bob' }, { '100': 'lab' });
});
afterEach(() => h.close());

describe('usage report', () => {
  it('groups the subtree by owner, biggest first; unreported owners form one null item', async () => {
    const page = await h.v.usage(usage());
    expect(page).toMatchObject({ total: 3, page: 1, pages: 1 });
    expect(page.items).toEqual([
      { uid: 1001, name: 'alice', file_count: 2, dir_count: 1, total_size: 4000, latest_mtime_ms: OLD + 2 },
      { uid: 1002, name: 'bob', file_count: 2, dir_count: 1, total_size: 17, latest_mtime_ms: OLD + 9 },
      // /legacy is an implied directory (mtime 0, no ids) holding a file without ids.
      { uid: null, name: null, file_count: 1, dir_count: 1, total_size: 0, latest_mtime_ms: OLD - 50 },
    ]);
  });

  it('by group, below a directory (not the directory itself), paged', async () => {
    const p1 = await h.v.usage(usage({ path: '/proj', by: 'group', page_size: 1 }));
    expect(p1).toMatchObject({ total: 2, pages: 2, items: [{ gid: 100, name: 'lab', file_count: 3, dir_count: 1, total_size: 3017 }] });
    const p2 = await h.v.usage(usage({ path: '/proj', by: 'group', page_size: 1, page: 2 }));
    expect(p2.items).toEqual([{ gid: 200, name: null, file_count: 1, dir_count: 0, total_size: 1000, latest_mtime_ms: OLD + 2 }]);
  });

  it('a file path covers that file; a missing path is a 404', async () => {
    expect((await h.v.usage(usage({ path: '/proj/c.txt' }))).items).toEqual([
      { uid: 1002, name: 'bob', file_count: 1, dir_count: 0, total_size: 5, latest_mtime_ms: OLD + 3 },
    ]);
    await expect(h.v.usage(usage({ path: '/nope' }))).rejects.toMatchObject({ code: 40401 });
  });
});

describe('top report', () => {
  const paths = async (q: TopQuery) => (await h.v.top(q)).map((n) => n.path);

  it('largest files first, with full nodes; smallest with order=asc; limit cuts', async () => {
    const items = await h.v.top(top({ limit: 2 }));
    expect(items.map((n) => n.path)).toEqual(['/proj/a.bam', '/proj/b.bam']);
    expect(items[0]).toMatchObject({ size: 3000, kind: 'file', uid: 1001, owner: 'alice', group: 'lab', is_dir: false });
    expect(await paths(top({ order: 'asc', limit: 2 }))).toEqual(['/legacy/old.dat', '/proj/c.txt']);
  });

  it('newest and oldest files by mtime; non-directories of every kind count as files', async () => {
    expect(await paths(top({ by: 'mtime' }))).toEqual(['/proj/link', '/proj/c.txt', '/proj/b.bam', '/proj/a.bam', '/legacy/old.dat']);
    expect(await paths(top({ by: 'mtime', order: 'asc', limit: 1 }))).toEqual(['/legacy/old.dat']);
  });

  it('directories by subtree size carry their subtree counts; ties in node-id order (creation order here)', async () => {
    const items = await h.v.top(top({ type: 'dir' }));
    expect(items.map((n) => [n.path, n.total_size, n.file_count, n.dir_count])).toEqual([
      ['/proj', 4017, 4, 1],
      ['/proj/empty', 0, 0, 0],
      ['/legacy', 0, 1, 0],
    ]);
    expect(items[0]).toMatchObject({ latest_mtime_ms: OLD + 9, owner: 'alice' });
  });

  it('directories by newest change: their own mtime or anything below, whichever is newer', async () => {
    // /proj's newest change is /proj/empty's own mtime: a tie, in node-id order.
    expect(await paths(top({ type: 'dir', by: 'mtime' }))).toEqual(['/proj', '/proj/empty', '/legacy']);
    h.send('realtime', [up('/legacy/new.dat', T0 - 100_000, { size: 1 })]);
    expect(await paths(top({ type: 'dir', by: 'mtime', limit: 1 }))).toEqual(['/legacy']);
  });
});

describe('histogram report', () => {
  it('size: log2 bins from the first to the last non-empty one, empty bins inside as zeros', async () => {
    const r = await h.v.histogram(hist());
    expect(r).toMatchObject({ path: '/', of: 'size', file_count: 5, total_size: 4017 });
    expect(r.bins[0]).toEqual({ lo: 0, hi: 1, file_count: 1, total_size: 0 });
    expect(r.bins.find((b) => b.lo === 4)).toEqual({ lo: 4, hi: 8, file_count: 1, total_size: 5 });
    expect(r.bins.find((b) => b.lo === 8)).toEqual({ lo: 8, hi: 16, file_count: 1, total_size: 12 });
    expect(r.bins.find((b) => b.lo === 16)).toEqual({ lo: 16, hi: 32, file_count: 0, total_size: 0 });
    expect(r.bins.at(-1)).toEqual({ lo: 2048, hi: 4096, file_count: 1, total_size: 3000 });
    // Contiguous: each bin starts where the previous one ended.
    for (let i = 1; i < r.bins.length; i++) expect(r.bins[i]!.lo).toBe(r.bins[i - 1]!.hi);
  });

  it('age: seconds before the watermark; future mtimes share a first bin ending at 0', async () => {
    h.send('snapshot', [up('/future.dat', T0 + 90_500, { size: 7 })]);
    const r = await h.v.histogram(hist({ of: 'age' }));
    expect(r.watermark_ms).toBe(T0);
    expect(r.bins[0]).toEqual({ lo: -91, hi: 0, file_count: 1, total_size: 7 });
    // OLD is 10,000 s ago: bin [8192, 16384) holds the four /proj files and /legacy/old.dat.
    expect(r.bins.slice(1)).toEqual([{ lo: 8192, hi: 16384, file_count: 5, total_size: 4017 }]);
  });

  it('an empty directory has no bins', async () => {
    expect((await h.v.histogram(hist({ path: '/proj/empty' }))).bins).toEqual([]);
  });
});
