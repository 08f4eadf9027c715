// agent-config.yaml as one strict zod schema: what users may write, with every default. Cross-entry
// rules (unique ids, references, directories) are checked on the result by validate.ts.

import { hostname } from 'node:os';
import { z } from 'zod';
import {
  httpUrlField, idSchema, LOG_LEVELS, numberField, strictSection, textField, type RenamedKeys,
} from '@fustor/protocol';
import { DRIVER_DEFAULTS, driverParamsSchema } from './driver-params.js';

export const DEFAULTS = Object.freeze({
  consoleHost: '127.0.0.1',
  consolePort: 8100,
  spoolMaxMb: 512,
  spoolSegmentMb: 8,
  auditIntervalSec: 600,
  sentinelIntervalSec: 120,
  sessionTimeoutSec: 30,
  batchMaxEvents: 1000,
  scanBatchMaxEvents: 5000,
  timeoutMs: 30_000,
  writeSettleMs: DRIVER_DEFAULTS.write_settle_ms,
  maxWatchedDirs: DRIVER_DEFAULTS.max_watched_dirs,
  logMaxFileMb: 10,
  logMaxFiles: 5,
});

/** Renamed options per mapping: each fails naming what to write instead. */
const RENAMED = {
  root: { syncs: 'pipes', pushers: 'senders', fustor_home: '--home or FUSTOR_HOME', log: 'logging' },
  sourceConfig: { path: 'uri', root: 'uri' },
  senderConfig: { url: 'endpoint', api_key: 'credential', view_id: 'view' },
  pipe: {
    source: 'source_id', sender: 'sender_id', audit_interval: 'audit_interval_sec', sentinel_interval: 'sentinel_interval_sec',
    heartbeat_timeout_sec: 'session_timeout_sec', session_timeout: 'session_timeout_sec',
  },
} satisfies Record<string, RenamedKeys>;

const sourceSchema = strictSection({
  id: idSchema(),
  type: z.enum(['fs']).default('fs'),
  config: strictSection({
    uri: textField(),
    driver_params: driverParamsSchema.prefault({}),
  }, { what: 'the source settings', renamed: RENAMED.sourceConfig }),
}, { what: 'a source' });

/** A URL or a list of URLs, each checked as one (a union would hide the reason behind "Invalid input"). */
function endpointField(): z.ZodType<string | string[]> {
  const one = httpUrlField('http://localhost:8102');
  const many = z.array(one).min(1, 'must name at least one URL');
  return z.unknown().transform((v, ctx) => {
    const r = Array.isArray(v) ? many.safeParse(v) : one.safeParse(v);
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.issues.push({ ...issue, input: v } as never);
    return z.NEVER;
  }) as unknown as z.ZodType<string | string[]>;
}

const senderSchema = strictSection({
  id: idSchema(),
  type: z.enum(['fusion']).default('fusion'),
  config: strictSection({
    /** One Fusion URL, or a list of cluster nodes (the sender fails over between them, cluster.md). */
    endpoint: endpointField(),
    credential: textField(),
    /** Omitted when the key is bound to exactly one view. */
    view: idSchema().nullable().default(null),
    /** Most events per batch (coalescing bound under load). */
    batch_max_events: numberField({ int: true, min: 1, max: 10_000 }).default(DEFAULTS.batchMaxEvents),
    /** Most events per snapshot/audit/on-demand batch: scan chunks queued while a batch is on the wire are merged up to this. */
    scan_batch_max_events: numberField({ int: true, min: 1, max: 10_000 }).default(DEFAULTS.scanBatchMaxEvents),
    /** Per-request timeout. */
    timeout_ms: numberField({ int: true, min: 100 }).default(DEFAULTS.timeoutMs),
  }, { what: 'the sender settings', renamed: RENAMED.senderConfig }),
}, { what: 'a sender' });

const pipeSchema = strictSection({
  id: idSchema(),
  source_id: textField(),
  sender_id: textField(),
  enabled: z.boolean().default(true),
  /** 0 disables the periodic audit. */
  audit_interval_sec: numberField({ min: 0 }).default(DEFAULTS.auditIntervalSec),
  /** 0 disables sentinel sweeps. */
  sentinel_interval_sec: numberField({ min: 0 }).default(DEFAULTS.sentinelIntervalSec),
  session_timeout_sec: numberField({ int: true, min: 1, max: 3600 }).default(DEFAULTS.sessionTimeoutSec),
  /** Spool bound for this pipe; absent = spool.max_mb. */
  spool_max_mb: numberField({ min: 0.001 }).optional(),
}, { what: 'a pipe', renamed: RENAMED.pipe });

/** The same logging shape as fusion-config.yaml. */
export const loggingSchema = strictSection({
  level: z.enum(LOG_LEVELS).default('info'),
  max_file_mb: numberField({ int: true, min: 1, max: 1024 }).default(DEFAULTS.logMaxFileMb),
  max_files: numberField({ int: true, min: 1, max: 100 }).default(DEFAULTS.logMaxFiles),
}, { what: 'log settings' });

export const agentConfigSchema = strictSection({
  agent_id: idSchema().default(() => hostname() || 'agent'),
  console: strictSection({
    enabled: z.boolean().default(true),
    host: textField().default(DEFAULTS.consoleHost),
    port: numberField({ int: true, min: 0, max: 65535 }).default(DEFAULTS.consolePort),
  }, { what: 'console settings' }).prefault({}),
  spool: strictSection({
    max_mb: numberField({ min: 0.001 }).default(DEFAULTS.spoolMaxMb),
    segment_mb: numberField({ min: 0.001, max: 1024 }).default(DEFAULTS.spoolSegmentMb),
    fsync: z.enum(['rotate', 'always']).default('rotate'),
  }, { what: 'spool settings' }).prefault({}),
  logging: loggingSchema.prefault({}),
  sources: z.array(sourceSchema).default([]),
  senders: z.array(senderSchema).default([]),
  pipes: z.array(pipeSchema).default([]),
}, { what: 'the agent configuration', renamed: RENAMED.root });

/** What a user may write in agent-config.yaml. */
export type UserAgentConfig = z.input<typeof agentConfigSchema>;
/** The document with every default applied (before references and paths are checked). */
export type ParsedAgentConfig = z.output<typeof agentConfigSchema>;
