// What Fusion answers on the ingest side (sessions, batches, phases, sentinel, commands) as zod schemas;
// the TypeScript types are inferred from them and the OpenAPI document is generated from the same objects.

import { z } from 'zod';
import { ROLES } from './schemas.js';
import { SCAN_ENCODINGS } from './listings.js';

const count = z.number().int().nonnegative();

export const eventBatchResultSchema = z.object({
  accepted: count,
  ignored: count,
  batch_seq: count,
  /** The batch_seq was already applied in this session: nothing was applied again. */
  duplicate: z.boolean(),
});
export type EventBatchResult = z.infer<typeof eventBatchResultSchema>;

export const sessionCreatedSchema = z.object({
  session_id: z.string(),
  view: z.string(),
  role: z.enum(ROLES),
  timeout_sec: z.number().positive(),
  heartbeat_interval_sec: z.number().positive(),
  server_time_ms: z.number(),
  /** The scan batch encoding to send, chosen from the request's scan_encodings (absent when it offered none: JSON). */
  scan_encoding: z.enum(SCAN_ENCODINGS).optional(),
});
export type SessionCreated = z.infer<typeof sessionCreatedSchema>;

export const scanCommandSchema = z.object({
  id: z.string(),
  type: z.literal('scan'),
  path: z.string(),
  recursive: z.boolean(),
});
export type ScanCommand = z.infer<typeof scanCommandSchema>;

/** Tells a session its view was reset; the leader must snapshot again. */
export const resnapshotCommandSchema = z.object({
  id: z.string(),
  type: z.literal('resnapshot'),
});
export type ResnapshotCommand = z.infer<typeof resnapshotCommandSchema>;

export const commandSchema = z.discriminatedUnion('type', [scanCommandSchema, resnapshotCommandSchema]);
export type Command = z.infer<typeof commandSchema>;

export const heartbeatResponseSchema = z.object({
  role: z.enum(ROLES),
  timeout_sec: z.number().positive(),
  commands: z.array(commandSchema),
});
export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;

export const commandsResponseSchema = z.object({
  role: z.enum(ROLES),
  commands: z.array(commandSchema),
});
export type CommandsResponse = z.infer<typeof commandsResponseSchema>;

export const sessionClosedSchema = z.object({ closed: z.literal(true) });

export const sentinelTasksSchema = z.object({ paths: z.array(z.string()) });
export type SentinelTasks = z.infer<typeof sentinelTasksSchema>;

export const sentinelFeedbackResultSchema = z.object({ cleared: count, renewed: count, deleted: count });
export type SentinelFeedbackResult = z.infer<typeof sentinelFeedbackResultSchema>;

export const snapshotStartedSchema = z.object({
  started: z.literal(true),
  /** The first leader after a leader change clears the view's blind-spot marks. */
  cleared_blind_spots: z.boolean(),
});
export const snapshotEndedSchema = z.object({ ended: z.literal(true), complete: z.boolean() });
export const auditStartedSchema = z.object({ started: z.literal(true) });
export const auditEndedSchema = z.object({
  ended: z.literal(true),
  complete: z.boolean(),
  /** Nodes removed by missing-item detection. */
  deleted: count,
});

export const commandDoneAnswerSchema = z.object({
  id: z.string(),
  status: z.enum(['pending', 'done', 'failed']),
});

/** How many names were new or renamed. */
export const principalsAnswerSchema = z.object({ users: count, groups: count });
