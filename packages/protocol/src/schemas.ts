// Every message of protocol.md as a zod schema; the exported TypeScript types are inferred from these.

import { z } from 'zod';
import { viewPathProblem } from './paths.js';

export const MESSAGE_SOURCES = ['realtime', 'snapshot', 'audit', 'on_demand'] as const;
export type MessageSource = (typeof MESSAGE_SOURCES)[number];
export const ROLES = ['leader', 'follower'] as const;
export type SessionRole = (typeof ROLES)[number];
export const KEY_ROLES = ['ingest', 'read', 'admin'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

/** Upper bound on events per batch: keeps one request's work and memory bounded (quality.md, security). */
export const MAX_EVENTS_PER_BATCH = 10_000;
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_TREE_DEPTH = 10;
export const MAX_WAIT_MS = 60_000;

export const viewPath = z.string().check((ctx) => {
  const problem = viewPathProblem(ctx.value);
  if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
});

const id = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'may contain only letters, digits and . _ : @ - (starting with a letter or digit)');

/**
 * Times on the wire are ms since 1970 before the year 2200: one mtime of 1e300 made every ancestor
 * unstable forever. Agents clamp what the file system reports into this window (docs/api.md).
 */
export const MIN_TIME_MS = 0;
export const MAX_TIME_MS = Date.UTC(2200, 0, 1);
const TIME_PROBLEM = `must be a time in ms since 1970-01-01 before 2200-01-01 (${MIN_TIME_MS} … ${MAX_TIME_MS})`;
/** Sizes are byte counts: one size of 1e300 poisoned total_size forever. */
const SIZE_PROBLEM = `must be a byte count: an integer from 0 to ${Number.MAX_SAFE_INTEGER}`;

/** The predicates the ingest fast path shares with these schemas (they must agree exactly). */
export function isWireTime(v: unknown): v is number {
  return typeof v === 'number' && v >= MIN_TIME_MS && v <= MAX_TIME_MS;
}
/** What an agent sends for a time the file system reports outside the window (a 1969 or 2300 mtime). */
export function clampWireTime(ms: number): number {
  return ms < MIN_TIME_MS ? MIN_TIME_MS : ms > MAX_TIME_MS ? MAX_TIME_MS : ms;
}
export function isWireSize(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

const timeMs = z.number().refine(isWireTime, TIME_PROBLEM);
const sizeBytes = z.number().refine(isWireSize, SIZE_PROBLEM);
const nonNegInt = z.number().int('must be an integer').nonnegative('must be >= 0');

/** What an entry is, from its own lstat (symlinks are never followed); `is_dir` equals `kind == 'dir'`. */
export const NODE_KINDS = ['file', 'dir', 'symlink', 'fifo', 'socket', 'device'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** uid/gid as the storage reports them; 2^32-1 is (uid_t)-1, "no owner", reserved. */
export const MAX_PRINCIPAL_ID = 0xfffffffe;
const principalId = z.number().int('must be an integer').min(0, 'must be >= 0').max(MAX_PRINCIPAL_ID, `must be at most ${MAX_PRINCIPAL_ID}`);
/** Permission bits: st_mode & 0o7777. */
export const MAX_MODE = 0o7777;

// ---- events ---------------------------------------------------------------------------------

export const upsertEventSchema = z.strictObject({
  op: z.literal('upsert'),
  path: viewPath,
  is_dir: z.boolean(),
  /** Required for files (is_dir false): a file without a size silently became 0. */
  size: sizeBytes.optional(),
  mtime_ms: timeMs,
  observed_at_ms: timeMs.optional(),
  is_atomic_write: z.boolean().optional(),
  parent_path: viewPath.optional(),
  parent_mtime_ms: timeMs.optional(),
  audit_skipped: z.boolean().optional(),
  // consumers.md §1: optional on the wire (older agents omit them: stored as null, never invented).
  kind: z.enum(NODE_KINDS).optional(),
  uid: principalId.optional(),
  gid: principalId.optional(),
  mode: z.number().int('must be an integer').min(0, 'must be >= 0').max(MAX_MODE, 'must be permission bits (st_mode & 0o7777)').optional(),
  ctime_ms: timeMs.optional(),
});

export const deleteEventSchema = z.strictObject({
  op: z.literal('delete'),
  path: viewPath,
  is_dir: z.boolean().optional(),
  observed_at_ms: timeMs.optional(),
});

export const eventSchema = z.discriminatedUnion('op', [upsertEventSchema, deleteEventSchema], {
  error: "op must be 'upsert' or 'delete'",
});

export type UpsertEvent = z.infer<typeof upsertEventSchema>;
export type DeleteEvent = z.infer<typeof deleteEventSchema>;
export type FileEvent = z.infer<typeof eventSchema>;

export const eventBatchSchema = z
  .strictObject({
    message_source: z.enum(MESSAGE_SOURCES),
    batch_seq: nonNegInt,
    command_id: z.string().min(1).max(128).nullable().optional(),
    events: z.array(eventSchema).max(MAX_EVENTS_PER_BATCH, `must hold at most ${MAX_EVENTS_PER_BATCH} events`),
  })
  .check((ctx) => {
    const b = ctx.value;
    if (b.message_source === 'on_demand' && !b.command_id) {
      ctx.issues.push({ code: 'custom', path: ['command_id'], message: 'is required for on_demand batches', input: b });
    }
    for (let i = 0; i < b.events.length; i++) {
      const e = b.events[i]!;
      if (e.op !== 'upsert') {
        if (b.message_source === 'snapshot') {
          ctx.issues.push({ code: 'custom', path: ['events', i, 'op'], message: "snapshot batches carry only 'upsert' events", input: e });
          return;
        }
        continue;
      }
      if (e.audit_skipped !== undefined && (!e.is_dir || b.message_source !== 'audit')) {
        ctx.issues.push({ code: 'custom', path: ['events', i, 'audit_skipped'], message: 'is allowed only on directories in audit batches', input: e });
        return;
      }
      if (e.is_atomic_write !== undefined && b.message_source !== 'realtime') {
        ctx.issues.push({ code: 'custom', path: ['events', i, 'is_atomic_write'], message: 'is allowed only in realtime batches', input: e });
        return;
      }
      if (e.kind !== undefined && (e.kind === 'dir') !== e.is_dir) {
        ctx.issues.push({ code: 'custom', path: ['events', i, 'kind'], message: `'${e.kind}' contradicts is_dir: ${e.is_dir}`, input: e });
        return;
      }
      if (!e.is_dir && e.size === undefined) {
        ctx.issues.push({ code: 'custom', path: ['events', i, 'size'], message: 'is required when is_dir is false', input: e });
        return;
      }
      if ((e.parent_path === undefined) !== (e.parent_mtime_ms === undefined)) {
        ctx.issues.push({ code: 'custom', path: ['events', i, 'parent_mtime_ms'], message: 'parent_path and parent_mtime_ms go together', input: e });
        return;
      }
    }
  });
export type EventBatch = z.infer<typeof eventBatchSchema>;

// ---- sessions -------------------------------------------------------------------------------

export const createSessionSchema = z.strictObject({
  agent_id: id,
  pipe_id: id,
  view: id.optional(),
  source_uri: z.string().max(4096).optional(),
  session_timeout_sec: z.number().int().min(1).max(3600).optional(),
  can_realtime: z.boolean().optional(),
  agent_version: z.string().max(64).optional(),
  /**
   * Scan batch encodings the agent can send, most preferred first (docs/api.md, "Compact scan batches");
   * Fusion answers the one to use in `scan_encoding`. Names it does not know are skipped, not refused.
   */
  scan_encodings: z.array(z.string().max(64)).max(16).optional(),
});
export type CreateSessionRequest = z.infer<typeof createSessionSchema>;

export const heartbeatSchema = z.object({
  can_realtime: z.boolean().optional(),
  phase: z.string().max(64).optional(),
  stats: z.record(z.string(), z.unknown()).optional(),
});
export type HeartbeatRequest = z.infer<typeof heartbeatSchema>;

export const phaseEndSchema = z.object({ complete: z.boolean() });
export type PhaseEndRequest = z.infer<typeof phaseEndSchema>;

export const commandDoneSchema = z.object({
  ok: z.boolean(),
  error: z.string().max(4096).nullable().optional(),
});
export type CommandDoneRequest = z.infer<typeof commandDoneSchema>;

// ---- principals (consumers.md §1) ----------------------------------------------------------

/** Largest principals map accepted in one request. */
export const MAX_PRINCIPALS = 10_000;
const principalMap = z
  .record(z.string().regex(/^(0|[1-9][0-9]{0,9})$/, 'keys must be numeric ids'), z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'))
  .check((ctx) => {
    if (Object.keys(ctx.value).length > MAX_PRINCIPALS) ctx.issues.push({ code: 'custom', message: `must hold at most ${MAX_PRINCIPALS} entries`, input: ctx.value });
  });
/** Names for the ids an agent reports, from its system's user and group database (getent). */
export const principalsSchema = z.strictObject({
  users: principalMap.optional(),
  groups: principalMap.optional(),
});
export type PrincipalsRequest = z.infer<typeof principalsSchema>;

// ---- sentinel -------------------------------------------------------------------------------

export const sentinelResultSchema = z.strictObject({
  path: viewPath,
  exists: z.boolean(),
  size: sizeBytes.optional(),
  mtime_ms: timeMs.optional(),
  // consumers.md §1: the metadata of the re-stat, validated exactly as on an upsert.
  kind: upsertEventSchema.shape.kind,
  uid: upsertEventSchema.shape.uid,
  gid: upsertEventSchema.shape.gid,
  mode: upsertEventSchema.shape.mode,
  ctime_ms: upsertEventSchema.shape.ctime_ms,
});
export const sentinelFeedbackSchema = z.strictObject({
  results: z.array(sentinelResultSchema).max(MAX_EVENTS_PER_BATCH),
});
export type SentinelResult = z.infer<typeof sentinelResultSchema>;
export type SentinelFeedback = z.infer<typeof sentinelFeedbackSchema>;
