// Tree listings: children sorted directories-first then by key (names in code-point order), paginated, sorted order cached per directory.

import type { Page, SortKey, TreeNode } from '@fustor/protocol';
import { F_AUDIT_SKIPPED, F_BLIND, F_DIR, F_KNOWN, F_SUSPECT } from './node-table.js';
import type { TreeIndex } from './tree-index.js';
import { kindOfCode, NO_ID, NO_MODE, sourceOfCode } from './node-meta.js';

export interface ListOptions {
  depth: number;
  page: number;
  page_size: number;
  sort_by: SortKey;
  sort_order: 'asc' | 'desc';
  only_path: boolean;
}

/** Code-point order (UTF-16 code-unit order differs for astral characters vs. U+E000..U+FFFF). */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Child ids of `dir`: directories first, each group ascending by `key` then name. Cached until a child changes. */
export function sortedChildren(ix: TreeIndex, dir: number, key: SortKey): Int32Array {
  const cache = ix.listingCache(dir);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const t = ix.t;
  const ids = new Int32Array(t.childCount(dir));
  let i = 0;
  for (let c = t.firstChild(dir); c !== -1; c = t.next[c]!) ids[i++] = c;
  const names = t.names;
  const flags = t.flags;
  // Code-unit order equals code-point order unless a surrogate is involved: check once per listing.
  let surrogates = false;
  for (let k = 0; k < ids.length && !surrogates; k++) surrogates = /[\ud800-\udfff]/.test(names[ids[k]!]!);
  const byName = surrogates
    ? (a: number, b: number) => compareNames(names[a]!, names[b]!)
    : (a: number, b: number) => {
        const x = names[a]!;
        const y = names[b]!;
        return x < y ? -1 : x > y ? 1 : 0;
      };
  const col = key === 'size' ? t.size : key === 'mtime' ? t.mtime : null;
  ids.sort((a, b) => {
    const da = flags[a]! & F_DIR;
    const db = flags[b]! & F_DIR;
    if (da !== db) return db - da;
    if (col !== null) {
      const d = col[a]! - col[b]!;
      if (d !== 0) return d;
    }
    return byName(a, b);
  });
  cache.set(key, ids);
  return ids;
}

export function joinPath(parent: string, name: string): string {
  return parent === '/' ? '/' + name : parent + '/' + name;
}

export function describe(ix: TreeIndex, id: number, path: string, onlyPath: boolean): TreeNode {
  const t = ix.t;
  const f = t.flags[id]!;
  const isDir = (f & F_DIR) !== 0;
  if (onlyPath) return { path, name: t.names[id]!, is_dir: isDir } as TreeNode;
  const labels = ix.labels;
  const ks = t.ks[id]!;
  const uid = t.uid[id]!;
  const gid = t.gid[id]!;
  const mode = t.mode[id]!;
  const ctime = t.ctime[id]!;
  const node: TreeNode = {
    path,
    name: t.names[id]!,
    is_dir: isDir,
    // A directory is a directory even when its agent sent no kind; anything else unreported stays null.
    kind: kindOfCode(ks) ?? (isDir ? 'dir' : null),
    size: t.size[id]!,
    mtime_ms: t.mtime[id]!,
    ctime_ms: Number.isNaN(ctime) ? null : ctime,
    uid: uid === NO_ID ? null : uid,
    gid: gid === NO_ID ? null : gid,
    owner: labels.userName(uid),
    group: labels.groupName(gid),
    mode: mode === NO_MODE ? null : mode,
    integrity_suspect: (f & F_SUSPECT) !== 0,
    blind_spot: (f & F_BLIND) !== 0 ? 'addition' : null,
    known_by_agent: (f & F_KNOWN) !== 0,
    last_agent_id: labels.agentOf(t.agent[id]!),
    last_source: sourceOfCode(ks),
  };
  if (isDir) node.audit_skipped = (f & F_AUDIT_SKIPPED) !== 0;
  return node;
}

/**
 * Builds the node at `path` with `depth` levels of children. The top level is paginated by
 * page/page_size; nested levels show their first page_size children and say `truncated` when cut.
 * With `only_path`, nodes carry only path, name and is_dir.
 */
export function listTree(ix: TreeIndex, id: number, path: string, o: ListOptions): TreeNode {
  return build(ix, id, path, o, o.depth, true);
}

function build(ix: TreeIndex, id: number, path: string, o: ListOptions, depth: number, top: boolean): TreeNode {
  const node = describe(ix, id, path, o.only_path);
  if (!node.is_dir || depth <= 0) return node;
  const sorted = sortedChildren(ix, id, o.sort_by);
  const total = sorted.length;
  const page = top ? o.page : 1;
  const size = o.page_size;
  const from = (page - 1) * size;
  const to = Math.min(total, from + size);
  const items: TreeNode[] = [];
  if (from < total) {
    // Descending order reverses the key within each group; directories still come first.
    let dirs = 0;
    if (o.sort_order === 'desc') {
      const f = ix.t.flags;
      while (dirs < total && f[sorted[dirs]!]! & F_DIR) dirs++;
    }
    for (let k = from; k < to; k++) {
      const idx = o.sort_order === 'asc' ? k : k < dirs ? dirs - 1 - k : total - 1 - (k - dirs);
      const c = sorted[idx]!;
      const name = ix.t.names[c]!;
      items.push(build(ix, c, joinPath(path, name), o, depth - 1, false));
    }
  }
  const children: Page<TreeNode> = { items, total, page, page_size: size, pages: Math.max(1, Math.ceil(total / size)) };
  if (!top && total > items.length) children.truncated = true;
  node.children = children;
  return node;
}
