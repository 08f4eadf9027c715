// Builders for the two config files in the shapes of product.md, tuned for short e2e timeouts.

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export function newKey(role: string): string {
  return `fk_${role}_${randomBytes(18).toString('hex')}`;
}

export interface FusionConfigInput {
  port: number;
  views: string[];
  keys: { key: string; role: 'ingest' | 'read' | 'admin'; views?: string[] }[];
  sessionTimeoutSec?: number;
  hotFileThresholdSec?: number;
  /** A node of a PostgreSQL cluster (cluster.md). */
  cluster?: { pgUrl: string; nodeId: string; leaseSec: number };
}

export function fusionConfig(c: FusionConfigInput): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: c.port, max_body_mb: 10 },
    storage: c.cluster ? { backend: 'postgres', url: c.cluster.pgUrl } : { path: 'fusion.db' },
    ...(c.cluster ? { cluster: { node_id: c.cluster.nodeId, lease_sec: c.cluster.leaseSec } } : {}),
    session: { timeout_sec: c.sessionTimeoutSec ?? 3 },
    views: c.views.map((id) => ({ id, hot_file_threshold_sec: c.hotFileThresholdSec ?? 2, tombstone_ttl_sec: 3600 })),
    api_keys: c.keys.map((k) => ({ key: k.key, role: k.role, ...(k.views ? { views: k.views } : {}) })),
  };
}

export interface AgentPipeInput {
  id: string;
  dir: string;
  view: string;
  endpoint: string | string[];
  credential: string;
  realtime?: boolean;
  auditIntervalSec?: number;
  sessionTimeoutSec?: number;
  enabled?: boolean;
}

export interface AgentConfigInput {
  agentId: string;
  consolePort: number;
  pipes: AgentPipeInput[];
  writeSettleMs?: number;
  /** spool.max_mb (the agent's default is 512). */
  spoolMaxMb?: number;
}

/** One source and one sender per pipe, named after the pipe. */
export function agentConfig(c: AgentConfigInput): Record<string, unknown> {
  return {
    agent_id: c.agentId,
    console: { host: '127.0.0.1', port: c.consolePort },
    ...(c.spoolMaxMb === undefined ? {} : { spool: { max_mb: c.spoolMaxMb } }),
    sources: c.pipes.map((p) => ({
      id: `src-${p.id}`,
      type: 'fs',
      config: {
        uri: p.dir,
        driver_params: { file_pattern: '*', write_settle_ms: c.writeSettleMs ?? 200, realtime: p.realtime ?? true },
      },
    })),
    senders: c.pipes.map((p) => ({
      id: `to-${p.id}`,
      type: 'fusion',
      config: { endpoint: p.endpoint, credential: p.credential, view: p.view },
    })),
    pipes: c.pipes.map((p) => ({
      id: p.id,
      source_id: `src-${p.id}`,
      sender_id: `to-${p.id}`,
      enabled: p.enabled ?? true,
      audit_interval_sec: p.auditIntervalSec ?? 2,
      sentinel_interval_sec: 2,
      session_timeout_sec: p.sessionTimeoutSec ?? 3,
    })),
  };
}

export function writeYaml(dir: string, file: string, doc: unknown): string {
  const path = join(dir, file);
  writeFileSync(path, stringify(doc));
  return path;
}
