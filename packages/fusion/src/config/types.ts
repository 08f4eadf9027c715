// fusion-config.yaml: the resolved, frozen shape Fusion runs on (the user-facing shape is UserFusionConfig in schema.ts).

import type { KeyRole, LogLevel } from '@fustor/protocol';
import type { ViewConfig } from '../contract.js';

export type { UserFusionConfig } from './schema.js';

/** A key declared in the config file; the secret itself is never kept, only its SHA-256. */
export interface ConfigApiKey {
  id: string;
  name: string;
  key_sha256: string;
  role: KeyRole;
  /** null = every view. */
  views: readonly string[] | null;
}

export interface FusionConfig {
  /** File the config came from, or null when embedded defaults are used (no file). */
  readonly file: string | null;
  readonly home: string;
  readonly server: { readonly host: string; readonly port: number; readonly max_body_mb: number };
  readonly storage: {
    readonly backend: 'sqlite' | 'postgres';
    /** SQLite file resolved against home (':memory:' kept as is). */
    readonly path: string;
    /** PostgreSQL URL; null = the PG* environment variables. */
    readonly url: string | null;
    readonly synchronous: 'full' | 'normal';
  };
  readonly session: { readonly timeout_sec: number };
  readonly logging: { readonly level: LogLevel; readonly max_file_mb: number; readonly max_files: number };
  /** The change feed (consumers.md §4). */
  readonly feed: { readonly retention_entries: number; readonly retention_hours: number; readonly max_lag: number };
  /** Subscription deliveries (consumers.md §5). */
  readonly webhooks: { readonly allowed_hosts: readonly string[]; readonly timeout_ms: number; readonly max_concurrency: number };
  /** Several nodes on PostgreSQL (cluster.md). */
  readonly cluster: { readonly node_id: string; readonly advertise_url: string | null; readonly lease_sec: number };
  readonly views: readonly ViewConfig[];
  readonly api_keys: readonly ConfigApiKey[];
}
