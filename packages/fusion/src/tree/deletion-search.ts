// search with blind_spot=deletion: blind-spot deletions are paths that are no longer nodes, so they are matched from the view's deletion set.

import { baseName, pageOf, parentOf, type Page, type SearchQuery, type TreeNode } from '@fustor/protocol';
import { compileGlob } from './glob.js';
import { compareNames } from './listing.js';

/**
 * The deletions below `q.path` (any depth; the scope need not exist any more) whose base name — or
 * whole path, when the pattern holds a '/' — matches the pattern. A deletion has no size, mtime,
 * owner, kind or marks: with any filter on those (type included) nothing matches. Items are
 * `{ path, name, is_dir, blind_spot: 'deletion' }` in path order (sort_order=desc reverses it);
 * is_dir is true when other deletions lie below the path (the audit removed a directory with its
 * contents) and false otherwise — Fusion keeps only the path, so an empty deleted directory reads
 * as false.
 */
export function searchDeletions(dels: ReadonlySet<string>, q: SearchQuery): Page<TreeNode> {
  const attributeFilter =
    q.type !== 'any' || q.min_size != null || q.max_size != null || q.modified_after_ms != null || q.modified_before_ms != null ||
    q.owner !== undefined || q.uid !== undefined || q.group !== undefined || q.gid !== undefined || q.kind !== undefined ||
    q.suspect !== undefined;
  if (attributeFilter || dels.size === 0) return pageOf([], 0, q.page, q.page_size);
  const byPath = q.pattern.includes('/');
  const match = compileGlob(q.pattern);
  const prefix = q.path === '/' ? '/' : q.path + '/';
  const hits: string[] = [];
  for (const p of dels) {
    if (!p.startsWith(prefix)) continue;
    if (match(byPath ? p : baseName(p))) hits.push(p);
  }
  hits.sort(q.sort_order === 'desc' ? (a, b) => compareNames(b, a) : compareNames);
  const from = (q.page - 1) * q.page_size;
  const page = hits.slice(from, from + q.page_size);
  let parents: Set<string> | null = null;
  const items = page.map((path): TreeNode => {
    // Built only when a page is answered: every ancestor of a deletion is a directory that held one.
    parents ??= ancestorsOf(dels);
    return { path, name: baseName(path), is_dir: parents.has(path), blind_spot: 'deletion' };
  });
  return pageOf(items, hits.length, q.page, q.page_size);
}

function ancestorsOf(dels: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const p of dels) {
    for (let a = parentOf(p); a !== null && a !== '/' && !out.has(a); a = parentOf(a)) out.add(a);
  }
  return out;
}
