// The metadata filters of search (consumers.md §2: owner/uid, group/gid, kind, suspect, blind spot) compiled once into one predicate over node ids.

import type { SearchQuery } from '@fustor/protocol';
import { F_BLIND, F_DIR, F_SUSPECT } from './node-table.js';
import { KIND_MASK, kindCodeOf } from './node-meta.js';
import type { TreeIndex } from './tree-index.js';

export type NodePredicate = (id: number) => boolean;

const DIR_CODE = kindCodeOf('dir');

/** The filters of `q` this module handles are all absent. */
export function hasNodeFilter(q: SearchQuery): boolean {
  return (
    q.owner !== undefined || q.uid !== undefined || q.group !== undefined || q.gid !== undefined ||
    q.kind !== undefined || q.suspect !== undefined || q.blind_spot !== undefined
  );
}

/**
 * Allowed ids for an owner/group filter: a name stands for every id the view's labels give that name
 * (several ids may share one across NFS domains); an unknown name allows nothing (the answer is
 * empty, not an error). With both a name and an id, a node must satisfy both. null = no filter.
 */
function allowedIds(name: string | undefined, id: number | undefined, named: (n: string) => number[]): Set<number> | null {
  if (name === undefined && id === undefined) return null;
  let ids = name === undefined ? null : new Set(named(name));
  if (id !== undefined) ids = ids === null ? new Set([id]) : new Set(ids.has(id) ? [id] : []);
  return ids;
}

/**
 * One predicate for every metadata filter of `q`, or null when there is none (the caller keeps its
 * unfiltered fast path). An unreported uid/gid (older agents) matches no owner or group filter. The
 * kind a filter sees is the kind a node answers with: a directory without a reported kind is 'dir'.
 * `blind_spot=deletion` matches no node (deletions are paths that are no longer nodes; the engine
 * answers them from the blind-spot set, see deletion-search.ts).
 */
export function nodeFilter(ix: TreeIndex, q: SearchQuery): NodePredicate | null {
  if (!hasNodeFilter(q)) return null;
  if (q.blind_spot === 'deletion') return () => false;
  const t = ix.t;
  const uids = allowedIds(q.owner, q.uid, (n) => ix.labels.uidsNamed(n));
  const gids = allowedIds(q.group, q.gid, (n) => ix.labels.gidsNamed(n));
  if ((uids !== null && uids.size === 0) || (gids !== null && gids.size === 0)) return () => false;
  // A single allowed id (the common case) is compared directly instead of hashed.
  const oneUid = uids !== null && uids.size === 1 ? [...uids][0]! : -1;
  const oneGid = gids !== null && gids.size === 1 ? [...gids][0]! : -1;
  const kind = q.kind === undefined ? -1 : kindCodeOf(q.kind);
  const suspect = q.suspect;
  const blind = q.blind_spot === undefined ? -1 : q.blind_spot === 'addition' ? F_BLIND : 0;
  return (id) => {
    // Columns read at call time: the table's arrays are replaced when it grows.
    if (uids !== null) {
      const u = t.uid[id]!;
      if (oneUid >= 0 ? u !== oneUid : !uids.has(u)) return false;
    }
    if (gids !== null) {
      const g = t.gid[id]!;
      if (oneGid >= 0 ? g !== oneGid : !gids.has(g)) return false;
    }
    const f = t.flags[id]!;
    if (kind !== -1) {
      const k = t.ks[id]! & KIND_MASK;
      if ((k !== 0 ? k : f & F_DIR ? DIR_CODE : 0) !== kind) return false;
    }
    if (suspect !== undefined && ((f & F_SUSPECT) !== 0) !== suspect) return false;
    if (blind !== -1 && (f & F_BLIND) !== blind) return false;
    return true;
  };
}
