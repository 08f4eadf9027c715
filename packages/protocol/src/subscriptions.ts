// Subscriptions (consumers.md §5): the request that creates one, what Fusion answers about it, and a delivery's body.

import { z } from 'zod';
import { normalizeViewPath } from './paths.js';
import { changeEntrySchema, viewStatsSchema } from './responses.js';

export const SUBSCRIPTION_EVENTS = ['created', 'modified', 'deleted', 'stable'] as const;
export type SubscriptionEvent = (typeof SUBSCRIPTION_EVENTS)[number];

const subPath = z.string().min(1).max(4096).transform((v, ctx) => {
  try {
    return normalizeViewPath(v);
  } catch (err) {
    ctx.issues.push({ code: 'custom', message: (err as Error).message.replace(/^path '.*?' /, ''), input: v });
    return z.NEVER;
  }
});

export const createSubscriptionSchema = z.strictObject({
  name: z.string().min(1).max(128).default('unnamed'),
  path: subPath.default('/'),
  /** Glob on the base name (or the whole path when it contains '/'), for created/modified/deleted. */
  pattern: z.string().min(1).max(1024).nullable().optional(),
  on: z.array(z.enum(SUBSCRIPTION_EVENTS)).min(1, 'must name at least one event').max(4),
  /** child: each direct child of `path` is its own subtree for `stable`; path: `path` itself. */
  granularity: z.enum(['child', 'path']).default('child'),
  url: z.string().max(2048).check((ctx) => {
    let u: URL;
    try {
      u = new URL(ctx.value);
    } catch {
      ctx.issues.push({ code: 'custom', message: 'must be an absolute http(s) URL', input: ctx.value });
      return;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') ctx.issues.push({ code: 'custom', message: 'must be an http or https URL', input: ctx.value });
    if (u.username || u.password) ctx.issues.push({ code: 'custom', message: 'must not carry credentials (use the secret)', input: ctx.value });
  }),
  /** Key of the HMAC-SHA256 signature in X-Fustor-Signature. */
  secret: z.string().min(8, 'must be at least 8 characters').max(256),
  /** How long failed deliveries are retried. */
  retry_hours: z.number().min(0).max(720).default(24),
});
export type CreateSubscriptionRequest = z.infer<typeof createSubscriptionSchema>;

/** A subscription as answered (never its secret). */
export const subscriptionSchema = z.object({
  id: z.string(),
  view: z.string(),
  name: z.string(),
  path: z.string(),
  pattern: z.string().nullable(),
  on: z.array(z.enum(SUBSCRIPTION_EVENTS)),
  granularity: z.enum(['child', 'path']),
  url: z.string(),
  retry_hours: z.number(),
  created_at_ms: z.number(),
  /** Subtrees changed and not yet reported stable. */
  pending_subtrees: z.number().int().nonnegative(),
  /** Deliveries queued or being retried. */
  pending_deliveries: z.number().int().nonnegative(),
});
export type SubscriptionInfo = z.infer<typeof subscriptionSchema>;

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;

export const deliverySchema = z.object({
  id: z.string(),
  event: z.enum([...SUBSCRIPTION_EVENTS, 'test']),
  path: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int().nonnegative(),
  created_at_ms: z.number(),
  next_attempt_at_ms: z.number().nullable(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  done_at_ms: z.number().nullable(),
});
export type DeliveryInfo = z.infer<typeof deliverySchema>;

/** The JSON body Fusion POSTs to a subscription's url. */
export const deliveryBodySchema = z.object({
  subscription: z.string(),
  view: z.string(),
  event: z.enum([...SUBSCRIPTION_EVENTS, 'test']),
  path: z.string(),
  /** stable and test deliveries: the subtree's stats when it was found stable. */
  stats: viewStatsSchema.partial().optional(),
  /** created/modified/deleted: the change entry. */
  node: changeEntrySchema.optional(),
  /** Feed cursor of the change that caused it (stable: the newest change seen in the subtree). */
  cursor: z.number().int().nonnegative(),
  delivered_at_ms: z.number(),
});
export type DeliveryBody = z.infer<typeof deliveryBodySchema>;
