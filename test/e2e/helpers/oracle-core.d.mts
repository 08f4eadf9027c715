// Types of oracle-core.mjs (plain JavaScript so the soak script can run it without a build step).

import type { TreeNode } from '@fustor/protocol';

export interface OracleEntry {
  path: string;
  is_dir: boolean;
  /** Files only; directories are compared by path and type. */
  size: number;
  mtime_ms: number;
}
export type EntryMap = Map<string, OracleEntry>;
export interface OracleDiff {
  missing: OracleEntry[];
  extra: OracleEntry[];
  changed: { disk: OracleEntry; fusion: OracleEntry }[];
}
export type TreeFn = (path: string, opts: { depth: number; page?: number; pageSize: number }) => Promise<{ node: TreeNode }>;

export const MTIME_TOLERANCE_MS: number;
export function encodeName(raw: Buffer): string;
export function walkDisk(root: string, opts?: { exclude?: (viewPath: string) => boolean }): EntryMap;
export function walkTree(tree: TreeFn, opts?: { depth?: number; pageSize?: number }): Promise<EntryMap>;
export function diffEntries(disk: EntryMap, fusion: EntryMap): OracleDiff;
export function isEmptyDiff(d: OracleDiff): boolean;
export function formatDiff(d: OracleDiff, limit?: number): string;
