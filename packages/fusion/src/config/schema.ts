// fusion-config.yaml as one strict zod schema: what operators may write, with every default. Rules across
// entries (unique view ids, one secret per key) are checked here too; paths and hashes are resolved by
// validate.ts.

import { hostname } from 'node:os';
import { z } from 'zod';
import {
  configProblem, httpUrlField, idSchema, KEY_ROLES, LOG_LEVELS, numberField, strictSection, textField, textListField,
} from '@fustor/protocol';
import { DEFAULTS } from './defaults.js';

const TEN_YEARS_SEC = 10 * 365 * 86400;

const viewSchema = strictSection({
  id: idSchema(),
  hot_file_threshold_sec: numberField({ min: 0, max: TEN_YEARS_SEC }).default(DEFAULTS.view.hot_file_threshold_sec),
  tombstone_ttl_sec: numberField({ min: 0, max: TEN_YEARS_SEC }).default(DEFAULTS.view.tombstone_ttl_sec),
}, { what: 'a view' });

const apiKeySchema = strictSection({
  key: textField()
    .refine((k) => k.length >= 16, { message: configProblem('must be at least 16 characters', 'generate one with `fustor-fusion keys create`') })
    .optional(),
  key_sha256: textField()
    .transform((h) => h.toLowerCase())
    .refine((h) => /^[0-9a-f]{64}$/.test(h), { message: configProblem('must be 64 hex digits', 'write the sha256sum of the key: printf %s KEY | sha256sum') })
    .optional(),
  role: z.enum(KEY_ROLES),
  /** Absent = every view. */
  views: z.array(idSchema()).optional(),
  name: textField().optional(),
}, { what: 'an API key' }).superRefine((k, ctx) => {
  if ((k.key === undefined) === (k.key_sha256 === undefined)) {
    ctx.addIssue({ code: 'custom', message: configProblem('needs exactly one of key or key_sha256', 'keep the secret (key) or its hash (key_sha256), not both') });
  }
});

const postgresUrl = textField().refine((v) => {
  try {
    return ['postgres:', 'postgresql:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}, { message: configProblem('is not a PostgreSQL URL', 'write postgres://user@host:5432/db, or leave it out to use the PG* environment variables') });

export const fusionConfigSchema = strictSection({
  server: strictSection({
    host: textField().default(DEFAULTS.server.host),
    port: numberField({ int: true, min: 0, max: 65535 }).default(DEFAULTS.server.port),
    max_body_mb: numberField({ min: 0.001, max: 1024 }).default(DEFAULTS.server.max_body_mb),
  }, { what: 'server settings' }).prefault({}),
  storage: strictSection({
    backend: z.enum(['sqlite', 'postgres']).default(DEFAULTS.storage.backend),
    /** SQLite file, relative to FUSTOR_HOME (':memory:' for tests). */
    path: textField().default(DEFAULTS.storage.path),
    /** PostgreSQL; absent = the PG* environment variables. */
    url: postgresUrl.optional(),
    synchronous: z.enum(['full', 'normal']).default(DEFAULTS.storage.synchronous),
  }, { what: 'storage settings' }).prefault({}),
  session: strictSection({
    timeout_sec: numberField({ int: true, min: 1, max: 3600 }).default(DEFAULTS.session.timeout_sec),
  }, { what: 'session settings' }).prefault({}),
  logging: strictSection({
    level: z.enum(LOG_LEVELS).default(DEFAULTS.logging.level),
    max_file_mb: numberField({ int: true, min: 1, max: 1024 }).default(DEFAULTS.logging.max_file_mb),
    max_files: numberField({ int: true, min: 1, max: 100 }).default(DEFAULTS.logging.max_files),
  }, { what: 'log settings' }).prefault({}),
  feed: strictSection({
    retention_entries: numberField({ int: true, min: 1 }).default(DEFAULTS.feed.retention_entries),
    retention_hours: numberField({ min: 0.001 }).default(DEFAULTS.feed.retention_hours),
    max_lag: numberField({ int: true, min: 1 }).default(DEFAULTS.feed.max_lag),
  }, { what: 'change feed settings' }).prefault({}),
  webhooks: strictSection({
    allowed_hosts: textListField().default(DEFAULTS.webhooks.allowed_hosts),
    timeout_ms: numberField({ int: true, min: 100, max: 600_000 }).default(DEFAULTS.webhooks.timeout_ms),
    max_concurrency: numberField({ int: true, min: 1, max: 256 }).default(DEFAULTS.webhooks.max_concurrency),
  }, { what: 'webhook delivery settings' }).prefault({}),
  cluster: strictSection({
    node_id: idSchema().default(() => hostname() || 'fusion'),
    /** The URL other nodes and redirected agents use to reach this node. */
    advertise_url: httpUrlField('http://fusion-a.example:8102').optional(),
    lease_sec: numberField({ int: true, min: 1, max: 3600 }).default(DEFAULTS.cluster.lease_sec),
  }, { what: 'cluster settings' }).prefault({}),
  views: z.array(viewSchema).superRefine((views, ctx) => {
    const seen = new Set<string>();
    views.forEach((v, i) => {
      if (seen.has(v.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: configProblem(`duplicate view id '${v.id}'`, 'view ids must be unique') });
      seen.add(v.id);
    });
  }).optional(),
  api_keys: z.array(apiKeySchema).default([]),
}, { what: 'the Fusion configuration', renamed: { log: 'logging' } });

/** What an operator may write in fusion-config.yaml. */
export type UserFusionConfig = z.input<typeof fusionConfigSchema>;
/** The document with every default applied. */
export type ParsedFusionConfig = z.output<typeof fusionConfigSchema>;
