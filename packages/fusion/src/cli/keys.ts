// `fustor-fusion keys create|list|revoke`: works on the database directly, daemon running or not.

import { KEY_ROLES, type KeyRole } from '@fustor/protocol';
import { createStoredKey, STORED_KEYS_SETTING, type StoredApiKey } from '../auth/key-registry.js';
import { loadConfig } from '../config/load.js';
import { CliError } from '../errors.js';
import type { ViewStore } from '../contract.js';
import { loadOpenViewStore } from './open-store.js';

export interface KeysOptions {
  home?: string;
  config?: string;
  role?: string;
  views?: string;
  name?: string;
}

async function withStore<T>(opts: KeysOptions, fn: (store: ViewStore, viewIds: string[]) => T): Promise<T> {
  const config = loadConfig(opts);
  const open = await loadOpenViewStore();
  // Keys live in the settings table: loading no view keeps this fast and light beside a running
  // daemon that holds a 1M-file view in memory.
  let store: ViewStore;
  try {
    store = open({ path: config.storage.path, views: [], synchronous: config.storage.synchronous });
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  try {
    return fn(store, config.views.map((v) => v.id));
  } finally {
    store.close();
  }
}

export async function keysCreate(opts: KeysOptions, out: (l: string) => void, err: (l: string) => void): Promise<void> {
  const role = opts.role as KeyRole;
  if (!KEY_ROLES.includes(role)) throw new CliError(`--role must be one of ${KEY_ROLES.join(' | ')}`);
  const views = opts.views ? opts.views.split(',').map((v) => v.trim()).filter(Boolean) : null;
  await withStore(opts, (store, known) => {
    for (const v of views ?? []) if (!known.includes(v)) err(`warning: view '${v}' is not in the configuration (yet)`);
    const { key, record } = createStoredKey(store, opts.name ?? `cli ${role}`, role, views);
    // the key alone on stdout, so `KEY=$(fustor-fusion keys create ...)` works; the rest on stderr
    out(key);
    err(`created key ${record.id} (role ${role}, views ${views ? views.join(',') : 'all'}); it is shown only once — store it now`);
  });
}

export async function keysList(opts: KeysOptions, out: (l: string) => void): Promise<void> {
  await withStore(opts, (store) => {
    const stored = store.getSetting<StoredApiKey[]>(STORED_KEYS_SETTING) ?? [];
    for (const k of stored) out(`${k.id}\t${k.role}\t${k.views ? k.views.join(',') : '*'}\t${k.key_prefix}…\t${k.name}`);
    if (stored.length === 0) out('no keys created through the CLI or the admin API');
  });
}

export async function keysRevoke(id: string, opts: KeysOptions, out: (l: string) => void): Promise<void> {
  await withStore(opts, (store) => {
    const all = store.getSetting<StoredApiKey[]>(STORED_KEYS_SETTING) ?? [];
    const rest = all.filter((k) => k.id !== id);
    if (rest.length === all.length) throw new CliError(`no created key with id '${id}' (keys in fusion-config.yaml are revoked by editing the file)`);
    store.setSetting(STORED_KEYS_SETTING, rest);
    out(`revoked ${id}`);
  });
}
