// File metadata of consumers.md §1 from one lstat: the same function for every phase, so a file reads the same whatever saw it.

import type { Stats } from 'node:fs';
import type { NodeKind } from '@fustor/protocol';

/** The metadata fields an upsert carries besides size and mtime. */
export interface EntryMeta {
  kind: NodeKind;
  uid: number;
  gid: number;
  mode: number;
  ctime_ms: number;
}

/** What the entry is, from its own lstat (a symlink is a symlink, never its target). */
export function kindOf(st: Pick<Stats, 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket'>): NodeKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'device';
}

/** S_IFMT bits of st_mode → kind, for code that carries raw modes (stat workers) instead of Stats objects. */
export function kindOfMode(mode: number): NodeKind {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return 'device';
  }
}

export function metaOf(st: Stats): EntryMeta {
  return { kind: kindOf(st), uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, ctime_ms: st.ctimeMs };
}
