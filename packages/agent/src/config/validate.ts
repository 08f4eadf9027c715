// Validates parsed agent-config.yaml into a frozen ResolvedConfig: defaults, unknown keys, references, paths.

import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import { Section } from './reader.js';
import type { DriverParams, PipeConfig, ResolvedConfig, SenderConfig, SourceConfig } from './types.js';

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
  writeSettleMs: 1000,
  maxWatchedDirs: 200_000,
});

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

function id(s: Section, k: string, dflt?: string): string {
  const v = s.str(k, dflt);
  if (v.length > 128 || !ID_RE.test(v)) {
    s.fail(k, `'${v}' is not a valid id`, 'use letters, digits and . _ : @ - (starting with a letter or digit), at most 128 characters');
  }
  return v;
}

function uniqueIds<T extends { id: string }>(file: string, list: string, items: T[]): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.id);
    if (first !== undefined) {
      throw new ConfigError(file, `${list}[${i}].id`, `duplicate id '${item.id}' (also ${list}[${first}].id)`, 'give every entry its own id');
    }
    seen.set(item.id, i);
  });
}

function driverParams(s: Section): DriverParams {
  s.onlyKeys('driver_params', ['file_pattern', 'exclude', 'write_settle_ms', 'max_watched_dirs', 'realtime']);
  return {
    file_pattern: s.str('file_pattern', '*'),
    exclude: s.strList('exclude', []),
    write_settle_ms: s.num('write_settle_ms', DEFAULTS.writeSettleMs, { min: 0, max: 3_600_000, int: true }),
    max_watched_dirs: s.num('max_watched_dirs', DEFAULTS.maxWatchedDirs, { min: 1, int: true }),
    realtime: s.bool('realtime', true),
  };
}

function source(file: string, raw: unknown, i: number, checkDirs: boolean): SourceConfig {
  const s = Section.of(file, `sources[${i}]`, raw, 'a source');
  s.onlyKeys('source', ['id', 'type', 'config']);
  const cfg = s.section('config', 'the source settings');
  cfg.onlyKeys('source.config', ['uri', 'driver_params']);
  let uri = cfg.str('uri');
  if (uri.startsWith('file://')) uri = fileURLToPath(uri);
  if (!isAbsolute(uri)) cfg.fail('uri', `'${uri}' is a relative path`, 'use an absolute path such as /data/research');
  if (checkDirs) {
    let isDir = false;
    try {
      isDir = statSync(uri).isDirectory();
    } catch {
      cfg.fail('uri', `directory '${uri}' does not exist or cannot be read`, 'create it, mount the storage, or fix the path');
    }
    if (!isDir) cfg.fail('uri', `'${uri}' is not a directory`, 'point uri at the directory to watch');
  }
  return {
    id: id(s, 'id'),
    type: s.oneOf('type', ['fs'] as const, 'fs'),
    config: { uri, driver_params: driverParams(cfg.section('driver_params', 'driver parameters')) },
  };
}

function sender(file: string, raw: unknown, i: number): SenderConfig {
  const s = Section.of(file, `senders[${i}]`, raw, 'a sender');
  s.onlyKeys('sender', ['id', 'type', 'config']);
  const cfg = s.section('config', 'the sender settings');
  cfg.onlyKeys('sender.config', ['endpoint', 'credential', 'view', 'batch_max_events', 'scan_batch_max_events', 'timeout_ms']);
  const endpoint = cfg.str('endpoint');
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    /* reported below */
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    cfg.fail('endpoint', `'${endpoint}' is not an http(s) URL`, 'write the Fusion base URL, e.g. http://localhost:8102');
  }
  return {
    id: id(s, 'id'),
    type: s.oneOf('type', ['fusion'] as const, 'fusion'),
    config: {
      endpoint: endpoint.replace(/\/+$/, ''),
      credential: cfg.str('credential'),
      view: cfg.has('view') ? id(cfg, 'view') : null,
      batch_max_events: cfg.num('batch_max_events', DEFAULTS.batchMaxEvents, { min: 1, max: 10_000, int: true }),
      scan_batch_max_events: cfg.num('scan_batch_max_events', DEFAULTS.scanBatchMaxEvents, { min: 1, max: 10_000, int: true }),
      timeout_ms: cfg.num('timeout_ms', DEFAULTS.timeoutMs, { min: 100, int: true }),
    },
  };
}

function pipe(file: string, raw: unknown, i: number, spoolMaxMb: number): PipeConfig {
  const s = Section.of(file, `pipes[${i}]`, raw, 'a pipe');
  s.onlyKeys('pipe', [
    'id', 'source_id', 'sender_id', 'enabled', 'audit_interval_sec', 'sentinel_interval_sec', 'session_timeout_sec', 'spool_max_mb',
  ]);
  return {
    id: id(s, 'id'),
    source_id: s.str('source_id'),
    sender_id: s.str('sender_id'),
    enabled: s.bool('enabled', true),
    audit_interval_sec: s.num('audit_interval_sec', DEFAULTS.auditIntervalSec, { min: 0 }),
    sentinel_interval_sec: s.num('sentinel_interval_sec', DEFAULTS.sentinelIntervalSec, { min: 0 }),
    session_timeout_sec: s.num('session_timeout_sec', DEFAULTS.sessionTimeoutSec, { min: 1, max: 3600, int: true }),
    spool_max_mb: s.num('spool_max_mb', spoolMaxMb, { min: 0.001 }),
  };
}

export interface ValidateOptions {
  file: string;
  home: string;
  /** Check that source directories exist (off only in tests of other rules). */
  checkDirs?: boolean;
}

/** Turns the parsed YAML document into a frozen ResolvedConfig, or throws the first ConfigError. */
export function validateConfig(doc: unknown, opts: ValidateOptions): ResolvedConfig {
  const { file } = opts;
  const root = Section.of(file, '', doc ?? {}, 'the agent configuration');
  root.onlyKeys('root', ['agent_id', 'console', 'spool', 'log', 'sources', 'senders', 'pipes']);

  const con = root.section('console', 'console settings');
  con.onlyKeys('console', ['enabled', 'host', 'port']);
  const sp = root.section('spool', 'spool settings');
  sp.onlyKeys('spool', ['max_mb', 'segment_mb', 'fsync']);
  const spool = {
    max_mb: sp.num('max_mb', DEFAULTS.spoolMaxMb, { min: 0.001 }),
    segment_mb: sp.num('segment_mb', DEFAULTS.spoolSegmentMb, { min: 0.001, max: 1024 }),
    fsync: sp.oneOf('fsync', ['rotate', 'always'] as const, 'rotate'),
  };
  const lg = root.section('log', 'log settings');
  lg.onlyKeys('log', ['level']);

  const checkDirs = opts.checkDirs ?? true;
  const sources = root.list('sources').map((r, i) => source(file, r, i, checkDirs));
  const senders = root.list('senders').map((r, i) => sender(file, r, i));
  const pipes = root.list('pipes').map((r, i) => pipe(file, r, i, spool.max_mb));
  uniqueIds(file, 'sources', sources);
  uniqueIds(file, 'senders', senders);
  uniqueIds(file, 'pipes', pipes);
  pipes.forEach((p, i) => {
    if (!sources.some((s) => s.id === p.source_id)) {
      const known = sources.map((s) => `'${s.id}'`).join(', ') || 'none defined';
      throw new ConfigError(file, `pipes[${i}].source_id`, `no source with id '${p.source_id}'`, `use one of the ids under sources: (${known})`);
    }
    if (!senders.some((s) => s.id === p.sender_id)) {
      const known = senders.map((s) => `'${s.id}'`).join(', ') || 'none defined';
      throw new ConfigError(file, `pipes[${i}].sender_id`, `no sender with id '${p.sender_id}'`, `use one of the ids under senders: (${known})`);
    }
  });

  const resolved: ResolvedConfig = {
    file,
    home: opts.home,
    agent_id: id(root, 'agent_id', hostname() || 'agent'),
    console: {
      enabled: con.bool('enabled', true),
      host: con.str('host', DEFAULTS.consoleHost),
      port: con.num('port', DEFAULTS.consolePort, { min: 0, max: 65535, int: true }),
    },
    spool,
    log: { level: lg.oneOf('level', ['debug', 'info', 'warn', 'error'] as const, 'info') },
    sources,
    senders,
    pipes,
  };
  return deepFreeze(resolved);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
