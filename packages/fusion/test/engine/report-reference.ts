// Brute-force references for the reports and search filters: plain loops over a list of nodes read through the public tree API.

import type { HistogramBin, SearchQuery, TopQuery, TreeNode, UsageItem } from '@fustor/protocol';
import type { ViewEngine } from '../../src/contract.js';
import type { ViewEngineImpl } from '../../src/views/view-engine.js';

export interface PlainNode {
  /** Node id, only to break ties the way the engine documents (node-id order). */
  id: number;
  path: string;
  is_dir: boolean;
  size: number;
  mtime: number;
  uid: number | null;
  gid: number | null;
  kind: string | null;
  suspect: boolean;
  blind: boolean;
}

/** Every node of the view except the root, read with tree() one directory at a time. */
export function plainNodes(v: ViewEngine): PlainNode[] {
  const table = (v as ViewEngineImpl).state.t;
  const out: PlainNode[] = [];
  const stack = ['/'];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    for (let page = 1; ; page++) {
      const node = v.tree(dir, { depth: 1, page, page_size: 1000, sort_by: 'name', sort_order: 'asc', only_path: false })!;
      for (const c of node.children!.items) {
        out.push(plain(c, table.lookup(c.path)));
        if (c.is_dir) stack.push(c.path);
      }
      if (page >= node.children!.pages) break;
    }
  }
  return out;
}

function plain(n: TreeNode, id: number): PlainNode {
  return {
    id,
    path: n.path,
    is_dir: n.is_dir,
    size: n.size!,
    mtime: n.mtime_ms!,
    uid: n.uid ?? null,
    gid: n.gid ?? null,
    kind: n.kind ?? null,
    suspect: n.integrity_suspect === true,
    blind: n.blind_spot === 'addition',
  };
}

/** What a report covers: the nodes below a directory, or the file itself. */
export function below(nodes: PlainNode[], scope: string): PlainNode[] {
  const self = nodes.find((n) => n.path === scope);
  if (self && !self.is_dir) return [self];
  const prefix = scope === '/' ? '/' : scope + '/';
  return nodes.filter((n) => n.path.startsWith(prefix));
}

export function refUsage(nodes: PlainNode[], scope: string, by: 'owner' | 'group', names: Map<number, string>): UsageItem[] {
  const groups = new Map<number | null, UsageItem>();
  for (const n of below(nodes, scope)) {
    const id = by === 'owner' ? n.uid : n.gid;
    let g = groups.get(id);
    if (!g) {
      g = { ...(by === 'owner' ? { uid: id } : { gid: id }), name: id === null ? null : (names.get(id) ?? null), file_count: 0, dir_count: 0, total_size: 0, latest_mtime_ms: null };
      groups.set(id, g);
    }
    if (n.is_dir) g.dir_count++;
    else {
      g.file_count++;
      g.total_size += n.size;
    }
    g.latest_mtime_ms = Math.max(g.latest_mtime_ms ?? -Infinity, n.mtime);
  }
  const rank = (u: UsageItem) => (by === 'owner' ? u.uid : u.gid) ?? Infinity;
  return [...groups.values()].sort((a, b) => b.total_size - a.total_size || rank(a) - rank(b));
}

export interface RefTopItem {
  path: string;
  key: number;
  file_count?: number;
  dir_count?: number;
  total_size?: number;
}

export function refTop(nodes: PlainNode[], scope: string, q: Pick<TopQuery, 'by' | 'order' | 'type' | 'limit'>): RefTopItem[] {
  const scoped = below(nodes, scope);
  const items = scoped
    .filter((n) => n.is_dir === (q.type === 'dir'))
    .map((n) => {
      if (!n.is_dir) return { n, key: q.by === 'size' ? n.size : n.mtime };
      const sub = below(nodes, n.path);
      const files = sub.filter((s) => !s.is_dir);
      const size = files.reduce((a, s) => a + s.size, 0);
      const key = q.by === 'size' ? size : Math.max(n.mtime, ...sub.map((s) => s.mtime));
      return { n, key, counts: { file_count: files.length, dir_count: sub.length - files.length, total_size: size } };
    });
  const dir = q.order === 'desc' ? -1 : 1;
  items.sort((a, b) => (a.key === b.key ? a.n.id - b.n.id : a.key < b.key ? -dir : dir));
  return items.slice(0, q.limit).map((i) => ({ path: i.n.path, key: i.key, ...('counts' in i ? i.counts : {}) }));
}

/** Log2 bins by repeated doubling (independent of the engine's bit tricks). */
export function refHistogram(nodes: PlainNode[], scope: string, of: 'size' | 'age', watermark: number): HistogramBin[] {
  const files = below(nodes, scope).filter((n) => !n.is_dir);
  const bins = new Map<number, HistogramBin>();
  let neg: HistogramBin | null = null;
  for (const f of files) {
    const x = of === 'size' ? f.size : (watermark - f.mtime) / 1000;
    if (x < 0) {
      neg ??= { lo: 0, hi: 0, file_count: 0, total_size: 0 };
      neg.lo = Math.min(neg.lo, Math.floor(x));
      neg.file_count++;
      neg.total_size += f.size;
      continue;
    }
    let k = 0;
    let hi = 1;
    while (x >= hi) {
      k++;
      hi *= 2;
    }
    const b = bins.get(k) ?? { lo: k === 0 ? 0 : hi / 2, hi, file_count: 0, total_size: 0 };
    b.file_count++;
    b.total_size += f.size;
    bins.set(k, b);
  }
  const ks = [...bins.keys()];
  const out: HistogramBin[] = neg ? [neg] : [];
  if (ks.length === 0) return out;
  for (let k = Math.min(...ks); k <= Math.max(...ks); k++) {
    out.push(bins.get(k) ?? { lo: k === 0 ? 0 : 2 ** (k - 1), hi: 2 ** k, file_count: 0, total_size: 0 });
  }
  return out;
}

/** Glob matching is search's own business (tested elsewhere): the reference takes a predicate on the node. */
export function refSearch(nodes: PlainNode[], q: SearchQuery, names: { users: Map<number, string>; groups: Map<number, string> }, match: (n: PlainNode) => boolean): string[] {
  const named = (m: Map<number, string>, name: string) => [...m].filter(([, v]) => v === name).map(([k]) => k);
  const hits = below(nodes, q.path)
    .filter((n) => n.path !== q.path)
    .filter(match)
    .filter((n) => q.type === 'any' || n.is_dir === (q.type === 'dir'))
    .filter((n) => (q.min_size == null || n.size >= q.min_size) && (q.max_size == null || n.size <= q.max_size))
    .filter((n) => (q.modified_after_ms == null || n.mtime >= q.modified_after_ms) && (q.modified_before_ms == null || n.mtime < q.modified_before_ms))
    .filter((n) => q.owner === undefined || (n.uid !== null && named(names.users, q.owner).includes(n.uid)))
    .filter((n) => q.uid === undefined || n.uid === q.uid)
    .filter((n) => q.group === undefined || (n.gid !== null && named(names.groups, q.group).includes(n.gid)))
    .filter((n) => q.gid === undefined || n.gid === q.gid)
    .filter((n) => q.kind === undefined || n.kind === q.kind)
    .filter((n) => q.suspect === undefined || n.suspect === q.suspect)
    .filter((n) => q.blind_spot === undefined || (q.blind_spot === 'addition' ? n.blind : q.blind_spot === 'none' ? !n.blind : false));
  const dir = q.sort_order === 'desc' ? -1 : 1;
  if (q.sort_by === undefined) hits.sort((a, b) => a.id - b.id);
  else if (q.sort_by === 'path') hits.sort((a, b) => dir * codePointCompare(a.path, b.path));
  else {
    const key = (n: PlainNode) => (q.sort_by === 'size' ? n.size : n.mtime);
    hits.sort((a, b) => (key(a) === key(b) ? a.id - b.id : key(a) < key(b) ? -dir : dir));
  }
  return hits.map((n) => n.path);
}

/** Code-point order, spelled out independently of the engine's compareNames. */
export function codePointCompare(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}
