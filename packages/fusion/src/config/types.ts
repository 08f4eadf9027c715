// fusion-config.yaml: the user-facing shape (everything optional) and the resolved, frozen shape.

import type { KeyRole } from '@fustor/protocol';
import type { ViewConfig } from '../contract.js';
import type { LogLevel } from '@fustor/protocol';

export interface UserFusionConfig {
  server?: { host?: string; port?: number; max_body_mb?: number };
  storage?: { path?: string; synchronous?: 'full' | 'normal' };
  session?: { timeout_sec?: number };
  logging?: { level?: LogLevel; max_file_mb?: number; max_files?: number };
  views?: Array<{ id: string; hot_file_threshold_sec?: number; tombstone_ttl_sec?: number }>;
  api_keys?: Array<{ key?: string; key_sha256?: string; role: KeyRole; views?: string[]; name?: string }>;
}

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
  /** storage.path resolved against home (':memory:' kept as is). */
  readonly storage: { readonly path: string; readonly synchronous: 'full' | 'normal' };
  readonly session: { readonly timeout_sec: number };
  readonly logging: { readonly level: LogLevel; readonly max_file_mb: number; readonly max_files: number };
  readonly views: readonly ViewConfig[];
  readonly api_keys: readonly ConfigApiKey[];
}
