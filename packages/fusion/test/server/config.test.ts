// fusion-config.yaml loading: defaults, unknown keys with suggestions, key paths in errors, frozen result.

import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { tempTree, type TempTree } from '@fustor/test-helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, resolveHome } from '../../src/config/load.js';
import { sha256Hex } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';

let tmp: TempTree;
let home: string;
beforeEach(() => {
  tmp = tempTree({}, 'fustor-cfg-');
  home = tmp.dir;
});
afterEach(() => tmp.cleanup());

const write = (text: string) => writeFileSync(join(home, 'fusion-config.yaml'), text);
const fails = (text: string): ConfigError => {
  write(text);
  try {
    loadConfig({ home });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('fusion-config.yaml', () => {
  it('no file: embedded defaults with one view named default, storage under home', () => {
    const c = loadConfig({ home });
    expect(c.file).toBeNull();
    expect(c.views.map((v) => v.id)).toEqual(['default']);
    expect(c.server).toEqual({ host: '127.0.0.1', port: 8102, max_body_mb: 10 });
    expect(c.storage.path).toBe(join(home, 'fusion.db'));
    expect(c.api_keys).toEqual([]);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.views[0])).toBe(true);
  });

  it('the README example is accepted; keys are kept only as hashes', () => {
    write(`server: { host: 127.0.0.1, port: 8102, max_body_mb: 10 }
storage: { path: fusion.db }
session: { timeout_sec: 30 }
views:
  - id: research
    hot_file_threshold_sec: 600
    tombstone_ttl_sec: 3600
api_keys:
  - key: "fk_ingest_0123456789abcdef"
    role: ingest
    views: [research]
  - key_sha256: "${sha256Hex('another-secret-key-123')}"
    role: read
`);
    const c = loadConfig({ home });
    expect(c.views).toEqual([{ id: 'research', hot_file_threshold_sec: 600, tombstone_ttl_sec: 3600 }]);
    expect(c.api_keys[0]).toMatchObject({ role: 'ingest', views: ['research'], key_sha256: sha256Hex('fk_ingest_0123456789abcdef') });
    expect(c.api_keys[1]!.views).toBeNull();
    expect(JSON.stringify(c)).not.toContain('fk_ingest_0123456789abcdef');
  });

  it('a misspelt key names the file, the key path and the likely fix', () => {
    const e = fails('views:\n  - id: research\n    hot_file_treshold_sec: 600\n');
    expect(e.message).toBe(`${join(home, 'fusion-config.yaml')}: views[0].hot_file_treshold_sec: unknown key; did you mean 'hot_file_threshold_sec'?`);
  });

  it.each([
    ['server: { port: 70000 }', 'server.port: must be <= 65535; lower it to at most 65535'],
    ['server: { port: 80.5 }', 'server.port: must be a whole number; e.g. 81'],
    ['views: [{ id: "bad id" }]', "views[0].id: 'bad id' is not a valid id; use letters, digits"],
    ['views: [{ id: a }, { id: a }]', "views[1].id: duplicate view id 'a'"],
    ['api_keys: [{ role: read }]', 'api_keys[0]: needs exactly one of key or key_sha256'],
    ['api_keys: [{ key: short, role: read }]', 'api_keys[0].key: must be at least 16 characters'],
    ['api_keys: [{ key: "0123456789abcdef0", role: root }]', 'api_keys[0].role: unsupported value string "root"; use one of: ingest, read, admin'],
    ['api_keys: [{ key: "0123456789abcdef0" }]', "api_keys[0].role: is required; add 'role: …' with one of: ingest, read, admin"],
    ['api_keys: [{ key_sha256: "abc", role: read }]', 'api_keys[0].key_sha256: must be 64 hex digits'],
    ['api_keys: [{ key: "0123456789abcdef0", role: read }, { key: "0123456789abcdef0", role: admin }]', 'api_keys[1]: duplicate key'],
    ['storage: { synchronous: sometimes }', 'storage.synchronous: unsupported value string "sometimes"; use one of: full, normal'],
    ['storage: { backend: mysql }', 'storage.backend: unsupported value string "mysql"; use one of: sqlite, postgres'],
    ['storage: { backend: postgres, url: "mysql://db/x" }', 'storage.url: is not a PostgreSQL URL'],
    ['feed: { retention_entries: 0 }', 'feed.retention_entries: must be >= 1'],
    ['feed: { max_lagg: 5 }', "feed.max_lagg: unknown key; did you mean 'max_lag'?"],
    ['webhooks: { allowed_hosts: [""] }', 'webhooks.allowed_hosts[0]: must not be empty'],
    ['webhooks: { max_concurrency: 0 }', 'webhooks.max_concurrency: must be >= 1'],
    ['cluster: { advertise_url: "fusion-a:8102" }', 'cluster.advertise_url: is not an http(s) URL'],
    ['cluster: { node_id: "node a" }', "cluster.node_id: 'node a' is not a valid id"],
    ['cluster: { lease_sec: 0 }', 'cluster.lease_sec: must be >= 1'],
    ['log: { level: debug }', "log: option 'log' was renamed; use 'logging' instead"],
    ['bogus: 1', 'bogus: unknown key; known keys here: server, storage'],
    ['views: {}', 'views: must be a list'],
    ['server: [1]', 'server: must be a mapping'],
    ['a: [', 'is not valid YAML'],
  ])('%s → %s', (text, expected) => {
    expect(fails(text).message).toContain(expected);
  });

  it('feed, webhooks, storage backend and cluster: defaults when absent, validated and frozen when given', () => {
    const d = loadConfig({ home });
    expect(d.feed).toEqual({ retention_entries: 10_000_000, retention_hours: 720, max_lag: 100_000 });
    expect(d.webhooks).toEqual({ allowed_hosts: ['127.0.0.1', 'localhost', '::1'], timeout_ms: 10_000, max_concurrency: 4 });
    expect(d.storage).toEqual({ backend: 'sqlite', path: join(home, 'fusion.db'), url: null, synchronous: 'normal' });
    expect(d.cluster).toEqual({ node_id: hostname(), advertise_url: null, lease_sec: 10 });
    write(`feed: { retention_entries: 500, retention_hours: 24, max_lag: 1000 }
webhooks: { allowed_hosts: [hooks.example, 10.0.0.5], timeout_ms: 2000, max_concurrency: 8 }
storage: { backend: postgres, url: "postgres://fustor@db.example:5432/fustor" }
cluster: { node_id: fusion-a, advertise_url: "http://fusion-a.example:8102/", lease_sec: 5 }
logging: { level: debug }
`);
    const c = loadConfig({ home });
    expect(c.feed).toEqual({ retention_entries: 500, retention_hours: 24, max_lag: 1000 });
    expect(c.webhooks).toEqual({ allowed_hosts: ['hooks.example', '10.0.0.5'], timeout_ms: 2000, max_concurrency: 8 });
    expect(c.storage).toMatchObject({ backend: 'postgres', url: 'postgres://fustor@db.example:5432/fustor' });
    expect(c.cluster).toEqual({ node_id: 'fusion-a', advertise_url: 'http://fusion-a.example:8102', lease_sec: 5 });
    expect(c.logging.level).toBe('debug');
    expect(Object.isFrozen(c.webhooks.allowed_hosts) && Object.isFrozen(c.cluster) && Object.isFrozen(c.feed)).toBe(true);
  });

  it('an explicit --config that is missing is an error; home comes from --home, then FUSTOR_HOME', () => {
    expect(() => loadConfig({ config: join(home, 'nope.yaml') })).toThrow(/cannot be read/);
    expect(resolveHome({ env: { FUSTOR_HOME: home } })).toBe(home);
    expect(resolveHome({ home: '/x/y', env: { FUSTOR_HOME: home } })).toBe('/x/y');
  });
});
