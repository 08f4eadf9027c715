// How one node reads in human output: marks, long-format columns, display name.

import type { TreeNode } from '@fustor/protocol';
import { formatSize, modeString, relativeTime } from '../format.js';

/** `!` possibly still being written (suspect), `?` a blind spot (a change no agent saw). */
export function marks(n: Pick<TreeNode, 'integrity_suspect' | 'blind_spot'>): string {
  return `${n.integrity_suspect ? '!' : ''}${n.blind_spot ? '?' : ''}`;
}

export function displayName(n: Pick<TreeNode, 'name' | 'is_dir' | 'path'>): string {
  const name = n.name || n.path;
  return n.is_dir && name !== '/' ? `${name}/` : name;
}

/** ls -l columns: mode, owner, group, size, mtime, marks, name. */
export function longColumns(n: TreeNode, now: number, name = displayName(n)): string[] {
  return [
    modeString(n.kind, n.is_dir, n.mode),
    n.owner ?? (n.uid === null || n.uid === undefined ? '-' : String(n.uid)),
    n.group ?? (n.gid === null || n.gid === undefined ? '-' : String(n.gid)),
    n.is_dir ? '-' : formatSize(n.size),
    relativeTime(n.mtime_ms, now),
    marks(n) || ' ',
    name,
  ];
}

export const LONG_HEADER = ['MODE', 'OWNER', 'GROUP', 'SIZE', 'MODIFIED', 'M', 'NAME'];
export const LONG_ALIGN = ['left', 'left', 'left', 'right', 'left', 'left', 'left'] as const;
