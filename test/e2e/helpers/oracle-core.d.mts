// Types of oracle-core.mjs (plain JavaScript so the soak script can run it without a build step).

import type { Stats } from 'node:fs';
import type { TreeNode } from '@fustor/protocol';

export interface OracleEntry {
  path: string;
  is_dir: boolean;
  /** Files only (0 for directories). */
  size: number;
  /** Files and directories: creating, deleting or renaming an entry moves its directory's mtime. */
  mtime_ms: number;
  /** consumers.md §1 metadata; compared only with `meta: true`. Fusion answers null where it does not know. */
  kind?: string | null;
  uid?: number | null;
  gid?: number | null;
  mode?: number | null;
}
export type EntryMap = Map<string, OracleEntry>;
export interface OracleDiff {
  missing: OracleEntry[];
  extra: OracleEntry[];
  changed: { disk: OracleEntry; fusion: OracleEntry }[];
}
export interface DiffOptions {
  /** Also compare kind, uid, gid and mode (consumers.md §1). */
  meta?: boolean;
}
export type TreeFn = (path: string, opts: { depth: number; page?: number; pageSize: number }) => Promise<{ node: TreeNode }>;

export const MTIME_TOLERANCE_MS: number;
export function encodeName(raw: Buffer): string;
export function diskKind(st: Stats): string;
export function walkDisk(root: string, opts?: { exclude?: (viewPath: string) => boolean }): EntryMap;
export function walkTree(tree: TreeFn, opts?: { depth?: number; pageSize?: number }): Promise<EntryMap>;
export function diffEntries(disk: EntryMap, fusion: EntryMap, opts?: DiffOptions): OracleDiff;
export function isEmptyDiff(d: OracleDiff): boolean;
export function formatDiff(d: OracleDiff, limit?: number, withMeta?: boolean): string;
