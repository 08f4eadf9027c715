// One scan upsert from one lstat (single entries; whole listings go through chunk-builder.ts), and the lstat of a listed child.

import type { Stats } from 'node:fs';
import type { UpsertEvent } from '@fustor/protocol';
import type { FsLayer, LocalPath } from '../fs-layer.js';
import type { IssueReporter } from '../issues.js';
import { kindOfMode } from '../meta.js';
import { ST_MODE, ST_STRIDE } from './dir-job.js';

/** Permission bits of st_mode (consumers.md §1). */
const PERM = 0o7777;

/**
 * Upsert of an entry from its own lstat: a symlink, FIFO, socket or device is reported as what it
 * is (is_dir false, `kind` says which), never followed; directories carry no size. Each shape is
 * one literal with the fields always in this order, so scan events share a few object shapes.
 */
export function upsertOf(
  path: string, st: Stats, observed: number, parentPath: string | undefined, parentMtimeMs: number | undefined,
): UpsertEvent {
  if (parentPath !== undefined) return childUpsertOf(path, st, observed, parentPath, parentMtimeMs!);
  // Only a scan's start directory comes without parent context (the root).
  const mode = st.mode;
  const kind = kindOfMode(mode);
  return kind === 'dir'
    ? { op: 'upsert', path, is_dir: true, mtime_ms: st.mtimeMs, observed_at_ms: observed, kind, uid: st.uid, gid: st.gid, mode: mode & PERM, ctime_ms: st.ctimeMs }
    : {
      op: 'upsert', path, is_dir: false, size: st.size, mtime_ms: st.mtimeMs, observed_at_ms: observed,
      kind, uid: st.uid, gid: st.gid, mode: mode & PERM, ctime_ms: st.ctimeMs,
    };
}

/** upsertOf for an entry listed in a directory (the common case: parent context present). */
export function childUpsertOf(path: string, st: Stats, observed: number, parentPath: string, parentMtimeMs: number): UpsertEvent {
  const mode = st.mode;
  const kind = kindOfMode(mode);
  return kind === 'dir'
    ? {
      op: 'upsert', path, is_dir: true, mtime_ms: st.mtimeMs, observed_at_ms: observed, parent_path: parentPath, parent_mtime_ms: parentMtimeMs,
      kind, uid: st.uid, gid: st.gid, mode: mode & PERM, ctime_ms: st.ctimeMs,
    }
    : {
      op: 'upsert', path, is_dir: false, size: st.size, mtime_ms: st.mtimeMs, observed_at_ms: observed, parent_path: parentPath,
      parent_mtime_ms: parentMtimeMs, kind, uid: st.uid, gid: st.gid, mode: mode & PERM, ctime_ms: st.ctimeMs,
    };
}

/** True when entry i of a stat worker's numbers is a directory (an entry its listing did not type). */
export function isDirNumbers(st: Float64Array, i: number): boolean {
  return (st[i * ST_STRIDE + ST_MODE]! & 0o170000) === 0o040000;
}

/** lstat of a listed child: its Stats, 'vanished' (expected noise) or 'failed' (reported). */
export function statChild(fs: FsLayer, issues: IssueReporter, p: LocalPath): Stats | 'vanished' | 'failed' {
  let st: Stats | undefined;
  try {
    st = fs.lstatSync(p);
  } catch (err) {
    return issues.fromError(err, p, 'stat') === 'vanished' ? 'vanished' : 'failed';
  }
  if (st === undefined) {
    issues.report('vanished', p, 'vanished between listing and stat', 'ENOENT');
    return 'vanished';
  }
  return st;
}
