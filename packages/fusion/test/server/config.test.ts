// fusion-config.yaml loading: defaults, unknown keys with suggestions, key paths in errors, frozen result.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, resolveHome } from '../../src/config/load.js';
import { sha256Hex } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'fustor-cfg-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

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
    expect(e.message).toBe(`${join(home, 'fusion-config.yaml')}: views[0].hot_file_treshold_sec: unknown key; did you mean hot_file_threshold_sec?`);
  });

  it.each([
    ['server: { port: 70000 }', 'server.port: must be an integer from 0 to 65535'],
    ['views: [{ id: "bad id" }]', 'views[0].id: may contain only'],
    ['views: [{ id: a }, { id: a }]', "views[1].id: duplicate view id 'a'"],
    ['api_keys: [{ role: read }]', 'api_keys[0]: needs exactly one of key or key_sha256'],
    ['api_keys: [{ key: short, role: read }]', 'api_keys[0].key: must be at least 16 characters'],
    ['api_keys: [{ key: "0123456789abcdef0", role: root }]', 'api_keys[0].role: must be one of ingest | read | admin'],
    ['storage: { synchronous: sometimes }', 'storage.synchronous: must be one of full | normal'],
    ['bogus: 1', 'bogus: unknown key'],
    ['views: {}', 'views: must be a list'],
    ['server: [1]', 'server: must be a mapping'],
    ['a: [', 'is not valid YAML'],
  ])('%s → %s', (text, expected) => {
    expect(fails(text).message).toContain(expected);
  });

  it('an explicit --config that is missing is an error; home comes from --home, then FUSTOR_HOME', () => {
    expect(() => loadConfig({ config: join(home, 'nope.yaml') })).toThrow(/cannot be read/);
    expect(resolveHome({ env: { FUSTOR_HOME: home } })).toBe(home);
    expect(resolveHome({ home: '/x/y', env: { FUSTOR_HOME: home } })).toBe('/x/y');
  });
});
