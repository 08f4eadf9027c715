// Validates the parsed YAML against the known keys (unknown keys rejected with a "did you mean"), applying defaults.

import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { KEY_ROLES, isLogLevel, type KeyRole } from '@fustor/protocol';
import { ConfigError } from '../errors.js';
import { DEFAULTS } from './defaults.js';
import type { ConfigApiKey, FusionConfig } from './types.js';
import type { ViewConfig } from '../contract.js';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

class Checker {
  readonly #file: string;
  constructor(file: string) {
    this.#file = file;
  }
  fail(path: string, problem: string): never {
    throw new ConfigError(this.#file, path, problem);
  }
  object(v: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(path, `must be a mapping (key: value), got ${Array.isArray(v) ? 'a list' : typeof v}`);
    const obj = v as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (allowed.includes(k)) continue;
      const best = allowed.map((a) => [a, editDistance(k, a)] as const).sort((x, y) => x[1] - y[1])[0];
      const hint = best && best[1] <= Math.max(2, Math.floor(k.length / 4)) ? `; did you mean ${best[0]}?` : `; allowed keys: ${allowed.join(', ')}`;
      this.fail(path ? `${path}.${k}` : k, `unknown key${hint}`);
    }
    return obj;
  }
  list(v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, 'must be a list');
    return v;
  }
  str(v: unknown, path: string, dflt?: string): string {
    if (v === undefined || v === null) {
      if (dflt === undefined) this.fail(path, 'is required');
      return dflt;
    }
    if (typeof v !== 'string' || v === '') this.fail(path, 'must be a non-empty string');
    return v;
  }
  num(v: unknown, path: string, dflt: number, min: number, max: number, int = true): number {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v)) || v < min || v > max) {
      this.fail(path, `must be ${int ? 'an integer' : 'a number'} from ${min} to ${max}`);
    }
    return v;
  }
  oneOf<T extends string>(v: unknown, path: string, options: readonly T[], dflt: T): T {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) this.fail(path, `must be one of ${options.join(' | ')}`);
    return v as T;
  }
  id(v: unknown, path: string): string {
    const s = this.str(v, path);
    if (!ID_RE.test(s) || s.length > 128) this.fail(path, 'may contain only letters, digits and . _ : @ - (starting with a letter or digit), at most 128 characters');
    return s;
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Turns parsed YAML (any shape) into a frozen FusionConfig or throws a ConfigError. */
export function resolveConfig(raw: unknown, file: string | null, home: string): FusionConfig {
  const c = new Checker(file ?? 'fusion-config.yaml (embedded defaults)');
  const top = c.object(raw, '', ['server', 'storage', 'session', 'logging', 'views', 'api_keys']);

  const srv = c.object(top.server, 'server', ['host', 'port', 'max_body_mb']);
  const server = {
    host: c.str(srv.host, 'server.host', DEFAULTS.server.host),
    port: c.num(srv.port, 'server.port', DEFAULTS.server.port, 0, 65535),
    max_body_mb: c.num(srv.max_body_mb, 'server.max_body_mb', DEFAULTS.server.max_body_mb, 0.001, 1024, false),
  };

  const sto = c.object(top.storage, 'storage', ['path', 'synchronous']);
  const storagePath = c.str(sto.path, 'storage.path', DEFAULTS.storage.path);
  const storage = {
    path: storagePath === ':memory:' || isAbsolute(storagePath) ? storagePath : resolve(home, storagePath),
    synchronous: c.oneOf(sto.synchronous, 'storage.synchronous', ['full', 'normal'] as const, DEFAULTS.storage.synchronous),
  };

  const ses = c.object(top.session, 'session', ['timeout_sec']);
  const session = { timeout_sec: c.num(ses.timeout_sec, 'session.timeout_sec', DEFAULTS.session.timeout_sec, 1, 3600) };

  const lg = c.object(top.logging, 'logging', ['level', 'max_file_mb', 'max_files']);
  if (lg.level !== undefined && !isLogLevel(lg.level)) c.fail('logging.level', 'must be one of debug | info | warn | error');
  const logging = {
    level: (lg.level as FusionConfig['logging']['level'] | undefined) ?? DEFAULTS.logging.level,
    max_file_mb: c.num(lg.max_file_mb, 'logging.max_file_mb', DEFAULTS.logging.max_file_mb, 1, 1024),
    max_files: c.num(lg.max_files, 'logging.max_files', DEFAULTS.logging.max_files, 1, 100),
  };

  const rawViews = top.views === undefined && file === null ? DEFAULTS.viewsWithoutFile : c.list(top.views, 'views');
  const views: ViewConfig[] = [];
  rawViews.forEach((rv, i) => {
    const p = `views[${i}]`;
    const v = c.object(rv, p, ['id', 'hot_file_threshold_sec', 'tombstone_ttl_sec']);
    const id = c.id(v.id, `${p}.id`);
    if (views.some((x) => x.id === id)) c.fail(`${p}.id`, `duplicate view id '${id}'; view ids must be unique`);
    views.push(
      Object.freeze({
        id,
        hot_file_threshold_sec: c.num(v.hot_file_threshold_sec, `${p}.hot_file_threshold_sec`, DEFAULTS.view.hot_file_threshold_sec, 0, 10 * 365 * 86400, false),
        tombstone_ttl_sec: c.num(v.tombstone_ttl_sec, `${p}.tombstone_ttl_sec`, DEFAULTS.view.tombstone_ttl_sec, 0, 10 * 365 * 86400, false),
      }),
    );
  });

  const keys: ConfigApiKey[] = [];
  c.list(top.api_keys, 'api_keys').forEach((rk, i) => {
    const p = `api_keys[${i}]`;
    const k = c.object(rk, p, ['key', 'key_sha256', 'role', 'views', 'name']);
    if ((k.key === undefined) === (k.key_sha256 === undefined)) c.fail(p, 'needs exactly one of key or key_sha256');
    let hash: string;
    if (k.key !== undefined) {
      const key = c.str(k.key, `${p}.key`);
      if (key.length < 16) c.fail(`${p}.key`, 'must be at least 16 characters (generate one with `fustor-fusion keys create`)');
      hash = sha256Hex(key);
    } else {
      hash = c.str(k.key_sha256, `${p}.key_sha256`).toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(hash)) c.fail(`${p}.key_sha256`, 'must be 64 hex digits (sha256sum of the key)');
    }
    const role = c.oneOf(k.role, `${p}.role`, KEY_ROLES, undefined as unknown as KeyRole);
    if (!role) c.fail(`${p}.role`, `is required (${KEY_ROLES.join(' | ')})`);
    let boundViews: string[] | null = null;
    if (k.views !== undefined && k.views !== null) {
      boundViews = c.list(k.views, `${p}.views`).map((v, j) => c.id(v, `${p}.views[${j}]`));
    }
    if (keys.some((x) => x.key_sha256 === hash)) c.fail(p, 'duplicate key (the same secret is declared twice)');
    keys.push(
      Object.freeze({
        id: `cfg_${hash.slice(0, 12)}`,
        name: k.name === undefined ? `config api_keys[${i}]` : c.str(k.name, `${p}.name`),
        key_sha256: hash,
        role,
        views: boundViews ? Object.freeze(boundViews) : null,
      }),
    );
  });

  return Object.freeze({
    file,
    home,
    server: Object.freeze(server),
    storage: Object.freeze(storage),
    session: Object.freeze(session),
    logging: Object.freeze(logging),
    views: Object.freeze(views),
    api_keys: Object.freeze(keys),
  });
}
