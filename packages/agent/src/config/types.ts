// Shapes of agent-config.yaml: the frozen resolved form the daemon runs on (the user-facing shape is
// UserAgentConfig in schema.ts).

import type { ParsedAgentConfig } from './schema.js';

export type { DriverParams } from './driver-params.js';
export type { UserAgentConfig } from './schema.js';

export type SourceConfig = ParsedAgentConfig['sources'][number];
export type SenderConfig = ParsedAgentConfig['senders'][number];
/** A pipe with its spool bound resolved (spool_max_mb defaults to spool.max_mb). */
export type PipeConfig = Omit<ParsedAgentConfig['pipes'][number], 'spool_max_mb'> & { spool_max_mb: number };

export interface ResolvedConfig {
  /** Absolute path of the file this came from. */
  file: string;
  home: string;
  agent_id: string;
  console: ParsedAgentConfig['console'];
  spool: ParsedAgentConfig['spool'];
  logging: ParsedAgentConfig['logging'];
  sources: SourceConfig[];
  senders: SenderConfig[];
  pipes: PipeConfig[];
}

/** A pipe with its source and sender resolved; the unit the daemon starts, stops and restarts. */
export interface PipeSpec {
  pipe: PipeConfig;
  source: SourceConfig;
  sender: SenderConfig;
  agent_id: string;
  spool: ResolvedConfig['spool'];
}
