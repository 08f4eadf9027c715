// Schemas of the admin API and of the smaller query routes (API keys, runtime settings, suspects, blind spots).

import { z } from 'zod';
import { KEY_ROLES } from './schemas.js';
import { pageQuerySchema } from './queries.js';
import { LOG_LEVELS } from './runtime/logger.js';

const viewId = z
  .string()
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'must be a view id (letters, digits and . _ : @ -)');

export const createApiKeySchema = z.strictObject({
  name: z.string().min(1).max(128).default('unnamed'),
  role: z.enum(KEY_ROLES),
  /** null or absent: every view. */
  views: z.array(viewId).max(1000).nullable().optional(),
});
export type CreateApiKeyRequest = z.infer<typeof createApiKeySchema>;

/** Runtime settings changeable through PUT /api/v1/admin/config. */
export const runtimeSettingsSchema = z.strictObject({
  /** 0 = no limit. */
  rate_limit_per_key_per_minute: z.number().int().min(0).max(10_000_000).optional(),
  log_level: z.enum(LOG_LEVELS).optional(),
});
export type RuntimeSettingsPatch = z.infer<typeof runtimeSettingsSchema>;

export const blindSpotsQuerySchema = pageQuerySchema.extend({ kind: z.enum(['addition', 'deletion']).optional() });
export const suspectsQuerySchema = pageQuerySchema.extend({ path: z.string().max(4096).optional() });

// ---- answers --------------------------------------------------------------------------------

export const apiKeyCreatedSchema = z.object({
  id: z.string(),
  /** The secret, shown this once. */
  key: z.string(),
  key_prefix: z.string(),
  name: z.string(),
  role: z.enum(KEY_ROLES),
  views: z.array(z.string()).nullable(),
});
export type ApiKeyCreated = z.infer<typeof apiKeyCreatedSchema>;

/** A key as listed: never its secret. Keys from fusion-config.yaml have no prefix or creation time. */
export const apiKeyListingSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(KEY_ROLES),
  views: z.array(z.string()).nullable(),
  key_prefix: z.string().nullable(),
  created_at_ms: z.number().nullable(),
  source: z.enum(['config', 'api']),
});
export const apiKeysAnswerSchema = z.object({ items: z.array(apiKeyListingSchema), total: z.number().int().nonnegative() });
export const apiKeyRevokedSchema = z.object({ id: z.string(), revoked: z.literal(true) });

export const runtimeSettingsAnswerSchema = z.object({
  rate_limit_per_key_per_minute: z.number().int().min(0),
  log_level: z.enum(LOG_LEVELS),
});
export const runtimeAnswerSchema = z.object({ runtime: runtimeSettingsAnswerSchema });

/** The running configuration, secrets left out; sections may gain keys, so they are open objects. */
export const adminConfigAnswerSchema = z.object({
  runtime: runtimeSettingsAnswerSchema,
  file: z.string().nullable(),
  server: z.looseObject({ host: z.string(), port: z.number().int(), max_body_mb: z.number() }),
  session: z.looseObject({ timeout_sec: z.number() }),
  storage: z.object({ synchronous: z.enum(['full', 'normal']) }),
  views: z.array(z.looseObject({ id: z.string(), hot_file_threshold_sec: z.number(), tombstone_ttl_sec: z.number() })),
});

export const viewResetAnswerSchema = z.object({ view: z.string(), reset: z.literal(true), sessions_notified: z.number().int().nonnegative() });
