// Response shapes of the read API as zod schemas: the TypeScript types are inferred from them and the
// OpenAPI document is generated from the same objects, so the contract has one source of truth.

import { z } from 'zod';
import type { Page } from './queries.js';
import { MESSAGE_SOURCES, NODE_KINDS, ROLES } from './schemas.js';

const ms = z.number();
const count = z.number().int().nonnegative();

/** A page of `item`: the shape every list answers (protocol.md, "Lists"). */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: count,
    page: z.number().int().min(1),
    page_size: z.number().int().min(1),
    pages: z.number().int().min(1),
    /** Nested tree levels only: more children exist than were listed. */
    truncated: z.boolean().optional(),
  });
}

export const blindSpotKindSchema = z.enum(['addition', 'deletion']);
export type BlindSpotKind = z.infer<typeof blindSpotKindSchema>;

/**
 * One node of a view. With `only_path=true` only path, name and is_dir are present. Metadata an agent
 * did not send (older agents) is null, never invented.
 */
const treeNodeBase = z.object({
  path: z.string(),
  name: z.string(),
  is_dir: z.boolean(),
  size: z.number().optional(),
  mtime_ms: ms.optional(),
  integrity_suspect: z.boolean().optional(),
  blind_spot: blindSpotKindSchema.nullable().optional(),
  known_by_agent: z.boolean().optional(),
  audit_skipped: z.boolean().optional(),
  kind: z.enum(NODE_KINDS).nullable().optional(),
  uid: z.number().int().nullable().optional(),
  gid: z.number().int().nullable().optional(),
  mode: z.number().int().nullable().optional(),
  ctime_ms: ms.nullable().optional(),
  owner: z.string().nullable().optional(),
  group: z.string().nullable().optional(),
  last_agent_id: z.string().nullable().optional(),
  last_source: z.enum(MESSAGE_SOURCES).nullable().optional(),
});
export type TreeNode = z.infer<typeof treeNodeBase> & { children?: Page<TreeNode> };
export const treeNodeSchema: z.ZodType<TreeNode> = treeNodeBase.extend({
  get children() {
    return pageSchema(treeNodeSchema).optional();
  },
});

/** consumers.md §3: how complete and how fresh a view's picture is. */
export const freshnessSchema = z.object({
  snapshot_complete: z.boolean(),
  last_snapshot_end_ms: ms.nullable(),
  last_audit_end_ms: ms.nullable(),
  audit_count: count,
  is_auditing: z.boolean(),
  can_realtime: z.boolean(),
  /** now − the newest of (last realtime event, last audit end); null when neither happened. */
  staleness_ms: ms.nullable(),
});
export type Freshness = z.infer<typeof freshnessSchema>;

export const viewStatsSchema = freshnessSchema.extend({
  path: z.string(),
  file_count: count,
  dir_count: count,
  total_size: z.number().nonnegative(),
  latest_mtime_ms: ms.nullable(),
  suspect_count: count,
  blind_spot_count: count,
  stable: z.boolean(),
  watermark_ms: ms,
  /** True before the view's first complete snapshot: the counts may be incomplete. */
  partial: z.boolean(),
});
export type ViewStats = z.infer<typeof viewStatsSchema>;

export const viewSummarySchema = freshnessSchema.extend({
  id: z.string(),
  file_count: count,
  dir_count: count,
  total_size: z.number().nonnegative(),
  leader: z.object({ session_id: z.string(), agent_id: z.string() }).nullable(),
  session_count: count,
  has_blind_spot: z.boolean(),
  suspect_count: count,
  last_event_at_ms: ms.nullable(),
  /** A file changed less than this long ago (or a suspect) keeps its directory from being `stable`. */
  hot_file_threshold_sec: z.number().nonnegative(),
  partial: z.boolean(),
});
export type ViewSummary = z.infer<typeof viewSummarySchema>;

export const sessionInfoSchema = z.object({
  session_id: z.string(),
  agent_id: z.string(),
  pipe_id: z.string(),
  role: z.enum(ROLES),
  created_at_ms: ms,
  last_heartbeat_ms: ms,
  can_realtime: z.boolean(),
  client_ip: z.string().nullable(),
  /** What the agent said in its last heartbeat (phase, and its own counters). */
  phase: z.string().nullable().optional(),
  stats: z.record(z.string(), z.unknown()).nullable().optional(),
  agent_version: z.string().nullable().optional(),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

// ---- reports (consumers.md §2) --------------------------------------------------------------

export const usageItemSchema = z.object({
  /** Present for by=owner. */
  uid: z.number().int().nullable().optional(),
  /** Present for by=group. */
  gid: z.number().int().nullable().optional(),
  name: z.string().nullable(),
  file_count: count,
  dir_count: count,
  total_size: z.number().nonnegative(),
  latest_mtime_ms: ms.nullable(),
});
export type UsageItem = z.infer<typeof usageItemSchema>;

export const topItemSchema = treeNodeBase.extend({
  /** Directories: their subtree's counts. */
  file_count: count.optional(),
  dir_count: count.optional(),
  total_size: z.number().nonnegative().optional(),
  /** Directories: newest mtime below it, as stats answers (null when empty); by=mtime ranks a directory by the newer of this and its own mtime_ms. */
  latest_mtime_ms: ms.nullable().optional(),
});
export type TopItem = z.infer<typeof topItemSchema>;

export const histogramBinSchema = z.object({
  /** Bin covers [lo, hi): bytes for size, seconds for age. */
  lo: z.number(),
  hi: z.number(),
  file_count: count,
  total_size: z.number().nonnegative(),
});
export type HistogramBin = z.infer<typeof histogramBinSchema>;

// ---- change feed (consumers.md §4) ----------------------------------------------------------

/** One applied change. Node fields are the node's values right after the change (for delete: right before it). */
export const changeEntrySchema = z.object({
  cursor: z.number().int().min(1),
  op: z.enum(['upsert', 'delete', 'suspect', 'settled', 'reset']),
  path: z.string(),
  is_dir: z.boolean(),
  /** upsert only: the change created the node (else it modified it). */
  created: z.boolean().optional(),
  kind: z.enum(NODE_KINDS).nullable(),
  size: z.number(),
  mtime_ms: ms,
  uid: z.number().int().nullable(),
  gid: z.number().int().nullable(),
  owner: z.string().nullable(),
  group: z.string().nullable(),
  mode: z.number().int().nullable(),
  ctime_ms: ms.nullable(),
  /** How the change was observed; null for Fusion's own transitions (a suspect expiring). */
  message_source: z.enum(MESSAGE_SOURCES).nullable(),
  agent_id: z.string().nullable(),
  /** When Fusion applied it (its clock). */
  at_ms: ms,
});
export type ChangeEntry = z.infer<typeof changeEntrySchema>;

export const changesPageSchema = z.object({
  items: z.array(changeEntrySchema),
  /** Pass as `since` to continue: past every entry examined, matching the filters or not. */
  next_cursor: z.number().int().min(0),
  /** Cursor of the newest entry in the log when answering. */
  latest_cursor: z.number().int().min(0),
});
export type ChangesPage = z.infer<typeof changesPageSchema>;
