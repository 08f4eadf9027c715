// Embedded defaults of fusion-config.yaml; with no file at all Fusion serves one view named `default`.

export const CONFIG_FILE_NAME = 'fusion-config.yaml';
export const DEFAULT_PORT = 8102;

export const DEFAULTS = {
  server: { host: '127.0.0.1', port: DEFAULT_PORT, max_body_mb: 10 },
  // 'normal' in WAL mode survives a process crash (kill -9, R1); 'full' also survives power loss.
  storage: { path: 'fusion.db', synchronous: 'normal' as const },
  session: { timeout_sec: 30 },
  logging: { level: 'info' as const, max_file_mb: 10, max_files: 5 },
  view: { hot_file_threshold_sec: 600, tombstone_ttl_sec: 3600 },
  /** Views served when there is no config file. */
  viewsWithoutFile: [{ id: 'default' }],
};
