// fusion-config.yaml → frozen FusionConfig: the strict schema (defaults, unknown and renamed keys), then
// what needs the home or the whole list (storage path, key hashes and duplicates), before anything listens.

import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, deepFreeze, parseConfigDocument } from '@fustor/protocol';
import { DEFAULTS } from './defaults.js';
import { fusionConfigSchema } from './schema.js';
import type { ConfigApiKey, FusionConfig } from './types.js';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Turns parsed YAML (any shape) into a frozen FusionConfig or throws a ConfigError. */
export function resolveConfig(raw: unknown, file: string | null, home: string): FusionConfig {
  const where = file ?? 'fusion-config.yaml (embedded defaults)';
  const c = parseConfigDocument(fusionConfigSchema, raw, where);
  const keys: ConfigApiKey[] = [];
  c.api_keys.forEach((k, i) => {
    const hash = k.key !== undefined ? sha256Hex(k.key) : k.key_sha256!;
    if (keys.some((x) => x.key_sha256 === hash)) {
      throw new ConfigError(where, `api_keys[${i}]`, 'duplicate key (the same secret is declared twice)', 'remove one of the two entries');
    }
    keys.push({ id: `cfg_${hash.slice(0, 12)}`, name: k.name ?? `config api_keys[${i}]`, key_sha256: hash, role: k.role, views: k.views ?? null });
  });
  const path = c.storage.path;
  return deepFreeze({
    file,
    home,
    server: c.server,
    storage: {
      backend: c.storage.backend,
      path: path === ':memory:' || isAbsolute(path) ? path : resolve(home, path),
      url: c.storage.url ?? null,
      synchronous: c.storage.synchronous,
    },
    session: c.session,
    logging: c.logging,
    feed: c.feed,
    webhooks: c.webhooks,
    cluster: { node_id: c.cluster.node_id, advertise_url: c.cluster.advertise_url ?? null, lease_sec: c.cluster.lease_sec },
    // No file at all: one view named `default`, so `npm start` has somewhere to put events.
    views: c.views ?? (file === null ? DEFAULTS.viewsWithoutFile.map((v) => ({ ...DEFAULTS.view, ...v })) : []),
    api_keys: keys,
  });
}
