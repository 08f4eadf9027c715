// Query-string schemas and response shapes of the read API; query values arrive as strings and are coerced here.

import { z } from 'zod';
import { normalizeViewPath } from './paths.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PRINCIPAL_ID, MAX_TREE_DEPTH, MAX_WAIT_MS, NODE_KINDS } from './schemas.js';

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

/** true / false / absent (no filter). */
const queryOptBool = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    ctx.issues.push({ code: 'custom', message: "must be 'true' or 'false'", input: v });
    return z.NEVER;
  });

/** A numeric uid/gid in a query string. */
const queryId = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!/^[0-9]{1,10}$/.test(v) || n > MAX_PRINCIPAL_ID) {
      ctx.issues.push({ code: 'custom', message: `must be a numeric id from 0 to ${MAX_PRINCIPAL_ID}`, input: v });
      return z.NEVER;
    }
    return n;
  });

const queryName = z.string().min(1).max(256).optional();

export const SEARCH_SORT_KEYS = ['path', 'size', 'mtime'] as const;

export const searchQuerySchema = pageQuerySchema.extend({
  pattern: z.string().min(1).max(1024).default('*'),
  path: queryPath,
  type: z.enum(['file', 'dir', 'any']).default('any'),
  min_size: queryNumber,
  max_size: queryNumber,
  modified_after_ms: queryNumber,
  modified_before_ms: queryNumber,
  // consumers.md §2
  owner: queryName,
  uid: queryId,
  group: queryName,
  gid: queryId,
  kind: z.enum(NODE_KINDS).optional(),
  suspect: queryOptBool,
  blind_spot: z.enum(['addition', 'deletion', 'none']).optional(),
  /** Absent: node-id order (stable while the tree is unchanged). */
  sort_by: z.enum(SEARCH_SORT_KEYS).optional(),
  sort_order: z.enum(['asc', 'desc']).default('asc'),
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;

// ---- change feed (protocol.md "changes", consumers.md §4) ------------------------------------

export const CHANGE_OPS = ['upsert', 'delete', 'suspect', 'settled', 'reset'] as const;
export const MAX_CHANGES_LIMIT = 10_000;

export const changesQuerySchema = z.object({
  /** Entries with a cursor greater than this; absent: from the oldest kept entry (polling) or from now on (SSE). */
  since: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      if (!/^[0-9]{1,15}$/.test(v)) {
        ctx.issues.push({ code: 'custom', message: 'must be a cursor (a non-negative integer from next_cursor or an SSE id)', input: v });
        return z.NEVER;
      }
      return Number(v);
    }),
  limit: queryInt(1, MAX_CHANGES_LIMIT, 1000),
  /** Only entries at or below this path. */
  path: queryPath,
  /** Glob on the base name, or on the whole path when it contains '/' (as in search). */
  pattern: z.string().min(1).max(1024).optional(),
  /** Comma-separated subset of the operations. */
  ops: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const list = v.split(',').map((x) => x.trim());
      const bad = list.find((x) => !(CHANGE_OPS as readonly string[]).includes(x));
      if (bad !== undefined) {
        ctx.issues.push({ code: 'custom', message: `unknown op '${bad}'; use a comma-separated subset of ${CHANGE_OPS.join(', ')}`, input: v });
        return z.NEVER;
      }
      return list as Array<(typeof CHANGE_OPS)[number]>;
    }),
});
export type ChangesQuery = z.infer<typeof changesQuerySchema>;

// ---- reports (consumers.md §2) --------------------------------------------------------------

export const usageQuerySchema = pageQuerySchema.extend({
  path: queryPath,
  by: z.enum(['owner', 'group']).default('owner'),
});
export type UsageQuery = z.infer<typeof usageQuerySchema>;

export const MAX_TOP_LIMIT = 1000;
export const topQuerySchema = z.object({
  path: queryPath,
  by: z.enum(['size', 'mtime']).default('size'),
  order: z.enum(['desc', 'asc']).default('desc'),
  type: z.enum(['file', 'dir']).default('file'),
  limit: queryInt(1, MAX_TOP_LIMIT, 100),
});
export type TopQuery = z.infer<typeof topQuerySchema>;

export const histogramQuerySchema = z.object({
  path: queryPath,
  of: z.enum(['size', 'age']).default('size'),
});
export type HistogramQuery = z.infer<typeof histogramQuerySchema>;

export const commandsWaitQuerySchema = z.object({ wait_ms: queryInt(0, MAX_WAIT_MS, 25_000) });

// Response shapes live in responses.ts (zod schemas, types inferred from them).

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

/** Every JSON response of Fusion. */
export interface Envelope<T = unknown> {
  code: number;
  message: string;
  data?: T;
  details?: Record<string, unknown>;
}
