// Query-string schemas and response shapes of the read API; query values arrive as strings and are coerced here.

import { z } from 'zod';
import { normalizeViewPath } from './paths.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_TREE_DEPTH, MAX_WAIT_MS, type SessionRole } from './schemas.js';

const queryPath = z
  .string()
  .default('/')
  .transform((v, ctx) => {
    try {
      return normalizeViewPath(v);
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: (err as Error).message.replace(/^path '.*?' /, ''), input: v });
      return z.NEVER;
    }
  });

const queryInt = (min: number, max: number, dflt: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.issues.push({ code: 'custom', message: `must be an integer from ${min} to ${max}`, input: v });
        return z.NEVER;
      }
      return n;
    });

const queryNumber = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) {
      ctx.issues.push({ code: 'custom', message: 'must be a number', input: v });
      return z.NEVER;
    }
    return n;
  });

const queryBool = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return false;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    ctx.issues.push({ code: 'custom', message: "must be 'true' or 'false'", input: v });
    return z.NEVER;
  });

export const pageQuerySchema = z.object({
  page: queryInt(1, Number.MAX_SAFE_INTEGER, 1),
  page_size: queryInt(1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
});

export const SORT_KEYS = ['name', 'size', 'mtime'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export const treeQuerySchema = pageQuerySchema.extend({
  path: queryPath,
  depth: queryInt(1, MAX_TREE_DEPTH, 1),
  only_path: queryBool,
  sort_by: z.enum(SORT_KEYS).default('name'),
  sort_order: z.enum(['asc', 'desc']).default('asc'),
  force_real_time: queryBool,
  timeout_ms: queryInt(0, MAX_WAIT_MS, 5000),
});
export type TreeQuery = z.infer<typeof treeQuerySchema>;

export const statsQuerySchema = z.object({ path: queryPath });
export type StatsQuery = z.infer<typeof statsQuerySchema>;

export const searchQuerySchema = pageQuerySchema.extend({
  pattern: z.string().min(1).max(1024).default('*'),
  path: queryPath,
  type: z.enum(['file', 'dir', 'any']).default('any'),
  min_size: queryNumber,
  max_size: queryNumber,
  modified_after_ms: queryNumber,
  modified_before_ms: queryNumber,
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;

export const commandsWaitQuerySchema = z.object({ wait_ms: queryInt(0, MAX_WAIT_MS, 25_000) });

// ---- response shapes ------------------------------------------------------------------------

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
  pages: number;
  truncated?: boolean;
}

export function pageOf<T>(items: T[], total: number, page: number, pageSize: number): Page<T> {
  return { items, total, page, page_size: pageSize, pages: Math.max(1, Math.ceil(total / pageSize)) };
}

export type BlindSpotKind = 'addition' | 'deletion';

export interface TreeNode {
  path: string;
  name: string;
  is_dir: boolean;
  size: number;
  mtime_ms: number;
  integrity_suspect: boolean;
  blind_spot: BlindSpotKind | null;
  known_by_agent: boolean;
  audit_skipped?: boolean;
  children?: Page<TreeNode>;
}

export interface ViewSummary {
  id: string;
  file_count: number;
  dir_count: number;
  total_size: number;
  leader: { session_id: string; agent_id: string } | null;
  session_count: number;
  has_blind_spot: boolean;
  suspect_count: number;
  last_event_at_ms: number | null;
}

export interface ViewStats {
  path: string;
  file_count: number;
  dir_count: number;
  total_size: number;
  latest_mtime_ms: number | null;
  suspect_count: number;
  blind_spot_count: number;
  stable: boolean;
  watermark_ms: number;
}

export interface SessionInfo {
  session_id: string;
  agent_id: string;
  pipe_id: string;
  role: SessionRole;
  created_at_ms: number;
  last_heartbeat_ms: number;
  can_realtime: boolean;
  client_ip: string | null;
}

/** Every JSON response of Fusion. */
export interface Envelope<T = unknown> {
  code: number;
  message: string;
  data?: T;
  details?: Record<string, unknown>;
}
