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

export interface ApiKeyCreated {
  id: string;
  key: string;
  key_prefix: string;
  name: string;
  role: (typeof KEY_ROLES)[number];
  views: string[] | null;
}

/** Runtime settings changeable through PUT /api/v1/admin/config. */
export const runtimeSettingsSchema = z.strictObject({
  /** 0 = no limit. */
  rate_limit_per_key_per_minute: z.number().int().min(0).max(10_000_000).optional(),
  log_level: z.enum(LOG_LEVELS).optional(),
});
export type RuntimeSettingsPatch = z.infer<typeof runtimeSettingsSchema>;

export const blindSpotsQuerySchema = pageQuerySchema.extend({ kind: z.enum(['addition', 'deletion']).optional() });
export const suspectsQuerySchema = pageQuerySchema.extend({ path: z.string().max(4096).optional() });
