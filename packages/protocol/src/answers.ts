// The `data` of every query, report, subscription and probe answer as zod schemas, and the envelope around them:
// the OpenAPI document (GET /api/v1/openapi.json) is generated from these, and tests validate real answers with it.

import { z } from 'zod';
import {
  histogramBinSchema,
  pageSchema,
  sessionInfoSchema,
  topItemSchema,
  treeNodeSchema,
  usageItemSchema,
  viewSummarySchema,
} from './responses.js';
import { deliverySchema } from './subscriptions.js';

const count = z.number().int().nonnegative();

/** `{ code: 0, message, data }`: every successful JSON answer. */
export function okEnvelopeSchema<T extends z.ZodType>(data: T) {
  return z.object({ code: z.literal(0), message: z.string(), data });
}

/** `{ code, message, details? }`: every error answer (protocol.md "Errors"). */
export const errorEnvelopeSchema = z.object({
  code: z.number().int().min(10000).max(99999),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

export const healthAnswerSchema = z.object({ status: z.literal('ok') });

export const viewsAnswerSchema = z.object({ items: z.array(viewSummarySchema), total: count });

/** The on-demand scan a `force_real_time` tree query waited for. */
export const scanJobSchema = z.object({
  id: z.string().nullable(),
  status: z.enum(['pending', 'done', 'failed']),
  error: z.string().nullable().optional(),
});

export const treeAnswerSchema = z.object({
  node: treeNodeSchema,
  job: scanJobSchema.optional(),
  partial: z.boolean(),
});
export type TreeAnswer = z.infer<typeof treeAnswerSchema>;

export const searchAnswerSchema = pageSchema(treeNodeSchema).extend({ partial: z.boolean() });
export type SearchAnswer = z.infer<typeof searchAnswerSchema>;

export const suspectItemSchema = z.object({ path: z.string(), mtime_ms: z.number(), expires_in_ms: z.number() });
export const suspectsAnswerSchema = pageSchema(suspectItemSchema);
export const blindSpotItemSchema = z.object({ path: z.string(), kind: z.enum(['addition', 'deletion']) });
export const blindSpotsAnswerSchema = pageSchema(blindSpotItemSchema);
export const sessionsAnswerSchema = pageSchema(sessionInfoSchema);

// ---- reports (consumers.md §2) --------------------------------------------------------------

export const usageAnswerSchema = pageSchema(usageItemSchema).extend({
  path: z.string(),
  by: z.enum(['owner', 'group']),
  partial: z.boolean(),
});
export type UsageAnswer = z.infer<typeof usageAnswerSchema>;

export const topAnswerSchema = z.object({
  path: z.string(),
  by: z.enum(['size', 'mtime']),
  order: z.enum(['desc', 'asc']),
  type: z.enum(['file', 'dir']),
  limit: z.number().int().min(1),
  items: z.array(topItemSchema),
  partial: z.boolean(),
});
export type TopAnswer = z.infer<typeof topAnswerSchema>;

export const histogramAnswerSchema = z.object({
  path: z.string(),
  of: z.enum(['size', 'age']),
  /** The storage-clock "now" ages are measured from. */
  watermark_ms: z.number(),
  file_count: count,
  total_size: z.number().nonnegative(),
  bins: z.array(histogramBinSchema),
  partial: z.boolean(),
});
export type HistogramAnswerData = z.infer<typeof histogramAnswerSchema>;

// ---- subscriptions (consumers.md §5) --------------------------------------------------------

export const deliveryAttemptSchema = z.object({
  ok: z.boolean(),
  status_code: z.number().int().nullable(),
  error: z.string().nullable(),
  duration_ms: z.number().nonnegative(),
});
export const subscriptionTestAnswerSchema = z.object({ delivery: deliverySchema, result: deliveryAttemptSchema });
export const subscriptionDeletedSchema = z.object({ deleted: z.literal(true) });
