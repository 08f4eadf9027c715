// The feed's filters (path subtree, glob pattern, ops) as one predicate over storage-form records.

import type { ChangesQuery } from '@fustor/protocol';
import { CHANGE_OPS, OP_RESET } from '../changes/change-buffer.js';
import type { ChangeRecord } from '../changes/committed.js';
import { compileGlob } from '../tree/glob.js';

export type RecordFilter = (r: ChangeRecord) => boolean;

/**
 * A `reset` entry concerns the whole view, so it passes the path and pattern filters (a reader following
 * one directory must still learn that the view was emptied); only `ops` can leave it out.
 */
export interface FeedFilterSpec {
  path: string;
  pattern?: string | undefined;
  ops?: ChangesQuery['ops'];
}

export function recordFilter(q: FeedFilterSpec): RecordFilter {
  const prefix = q.path === '/' ? null : q.path + '/';
  const under = prefix === null ? null : q.path;
  const byPath = q.pattern?.includes('/') ?? false;
  const match = q.pattern === undefined ? null : compileGlob(q.pattern);
  const ops = q.ops === undefined ? null : new Set(q.ops.map((o) => CHANGE_OPS.indexOf(o) + 1));
  return (r) => {
    if (ops !== null && !ops.has(r.op)) return false;
    if (r.op === OP_RESET) return true;
    if (under !== null && r.path !== under && !r.path.startsWith(prefix!)) return false;
    if (match !== null) {
      const subject = byPath ? r.path : r.path.slice(r.path.lastIndexOf('/') + 1);
      if (!match(subject)) return false;
    }
    return true;
  };
}
