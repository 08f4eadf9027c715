// Shapes of agent-config.yaml: what users may write, and the frozen resolved form the daemon runs on.

export interface DriverParams {
  file_pattern: string;
  exclude: string[];
  write_settle_ms: number;
  max_watched_dirs: number;
  realtime: boolean;
}

export interface SourceConfig {
  id: string;
  type: 'fs';
  config: { uri: string; driver_params: DriverParams };
}

export interface SenderConfig {
  id: string;
  type: 'fusion';
  config: {
    endpoint: string;
    credential: string;
    /** Omitted when the key is bound to exactly one view. */
    view: string | null;
    /** Most events per batch (coalescing bound under load). */
    batch_max_events: number;
    /**
     * Most events per snapshot/audit/on-demand batch: the scanner's chunks queued while a batch is on
     * the wire are merged up to this (fewer, larger commits on Fusion).
     */
    scan_batch_max_events: number;
    /** Per-request timeout. */
    timeout_ms: number;
  };
}

export interface PipeConfig {
  id: string;
  source_id: string;
  sender_id: string;
  enabled: boolean;
  /** 0 disables the periodic audit. */
  audit_interval_sec: number;
  /** 0 disables sentinel sweeps. */
  sentinel_interval_sec: number;
  session_timeout_sec: number;
  /** Spool bound for this pipe; defaults to spool.max_mb. */
  spool_max_mb: number;
}

export interface ResolvedConfig {
  /** Absolute path of the file this came from. */
  file: string;
  home: string;
  agent_id: string;
  console: { enabled: boolean; host: string; port: number };
  spool: { max_mb: number; segment_mb: number; fsync: 'rotate' | 'always' };
  log: { level: 'debug' | 'info' | 'warn' | 'error' };
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
