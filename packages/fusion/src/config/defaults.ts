// Embedded defaults of fusion-config.yaml; with no file at all Fusion serves one view named `default`.

export const CONFIG_FILE_NAME = 'fusion-config.yaml';
export const DEFAULT_PORT = 8102;

export const DEFAULTS = {
  server: { host: '127.0.0.1', port: DEFAULT_PORT, max_body_mb: 10 },
  // 'normal' in WAL mode survives a process crash (kill -9, R1); 'full' also survives power loss.
  storage: { backend: 'sqlite' as const, path: 'fusion.db', synchronous: 'normal' as const },
  session: { timeout_sec: 30 },
  logging: { level: 'info' as const, max_file_mb: 10, max_files: 5 },
  view: { hot_file_threshold_sec: 600, tombstone_ttl_sec: 3600 },
  /** The change feed (consumers.md §4): per view, older entries are dropped; an SSE client further behind gets `lagged`. */
  feed: { retention_entries: 10_000_000, retention_hours: 720, max_lag: 100_000 },
  /** Subscription deliveries (consumers.md §5): loopback targets only unless the operator widens it. */
  webhooks: { allowed_hosts: ['127.0.0.1', 'localhost', '::1'], timeout_ms: 10_000, max_concurrency: 4 },
  /** Several nodes on PostgreSQL (cluster.md); node_id defaults to the hostname. */
  cluster: { lease_sec: 10 },
  /** Views served when there is no config file. */
  viewsWithoutFile: [{ id: 'default' }],
};
