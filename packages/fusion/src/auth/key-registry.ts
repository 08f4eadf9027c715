// API keys: those declared in fusion-config.yaml plus those created through the admin API or CLI (stored as SHA-256 in the DB).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyRole } from '@fustor/protocol';
import type { ConfigApiKey } from '../config/types.js';
import type { ViewStore } from '../contract.js';
import { ConflictError, NotFoundError } from '../errors.js';

/** Setting under which created keys live in the store. */
export const STORED_KEYS_SETTING = 'api_keys';

export interface StoredApiKey {
  id: string;
  name: string;
  role: KeyRole;
  views: string[] | null;
  key_sha256: string;
  key_prefix: string;
  created_at_ms: number;
}

/** An authenticated caller. */
export interface Principal {
  id: string;
  name: string;
  role: KeyRole;
  /** null = every view. */
  views: readonly string[] | null;
  source: 'config' | 'api';
}

export interface KeyListing {
  id: string;
  name: string;
  role: KeyRole;
  views: readonly string[] | null;
  key_prefix: string | null;
  created_at_ms: number | null;
  source: 'config' | 'api';
}

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** A new secret: `fk_<role>_` + 32 base64url characters (192 bits). */
export function generateKey(role: KeyRole): string {
  return `fk_${role}_${randomBytes(24).toString('base64url')}`;
}

/** Creates and stores a key in `store` (used by the admin API and by `fustor-fusion keys create`). */
export function createStoredKey(store: ViewStore, name: string, role: KeyRole, views: string[] | null, now = Date.now()): { key: string; record: StoredApiKey } {
  const key = generateKey(role);
  const record: StoredApiKey = {
    id: `key_${randomBytes(6).toString('hex')}`,
    name,
    role,
    views,
    key_sha256: hashKey(key).toString('hex'),
    key_prefix: key.slice(0, `fk_${role}_`.length + 4),
    created_at_ms: now,
  };
  const all = store.getSetting<StoredApiKey[]>(STORED_KEYS_SETTING) ?? [];
  store.setSetting(STORED_KEYS_SETTING, [...all, record]);
  return { key, record };
}

/** Identity of the stored key set: revocation removes a hash, creation adds one. */
function fingerprint(stored: readonly StoredApiKey[]): string {
  let s = '';
  for (const k of stored) s += k.key_sha256;
  return s;
}

interface Entry {
  hash: Buffer;
  principal: Principal;
}

export class KeyRegistry {
  readonly #store: ViewStore;
  #configKeys: readonly ConfigApiKey[];
  #byHash = new Map<string, Entry>();
  /** The stored keys' hashes the map was built from: a stored key is honoured only while still among them. */
  #storedFingerprint = '';
  #lastReloadMs = 0;
  readonly #missReloadIntervalMs: number;
  readonly #now: () => number;

  constructor(store: ViewStore, configKeys: readonly ConfigApiKey[], opts: { missReloadIntervalMs?: number; now?: () => number } = {}) {
    this.#store = store;
    this.#configKeys = configKeys;
    this.#missReloadIntervalMs = opts.missReloadIntervalMs ?? 100;
    this.#now = opts.now ?? Date.now;
    this.reload();
  }

  /** Rebuilds the lookup from config keys and the stored keys (SIGHUP, and at most every 100 ms on a miss). */
  reload(configKeys?: readonly ConfigApiKey[]): void {
    if (configKeys) this.#configKeys = configKeys;
    const map = new Map<string, Entry>();
    for (const k of this.#configKeys) {
      map.set(k.key_sha256, {
        hash: Buffer.from(k.key_sha256, 'hex'),
        principal: { id: k.id, name: k.name, role: k.role, views: k.views, source: 'config' },
      });
    }
    const stored = this.#stored();
    this.#storedFingerprint = fingerprint(stored);
    for (const k of stored) {
      if (map.has(k.key_sha256)) continue;
      map.set(k.key_sha256, {
        hash: Buffer.from(k.key_sha256, 'hex'),
        principal: { id: k.id, name: k.name, role: k.role, views: k.views, source: 'api' },
      });
    }
    this.#byHash = map;
    this.#lastReloadMs = this.#now();
  }

  #stored(): StoredApiKey[] {
    return this.#store.getSetting<StoredApiKey[]>(STORED_KEYS_SETTING) ?? [];
  }

  /**
   * Looks a presented key up by its SHA-256 and confirms with a constant-time compare.
   * A miss re-reads the stored keys (at most every 100 ms), so a key made by `keys create` while the
   * daemon runs works on its first use. A hit on a created key re-reads them every time (one
   * indexed row): `keys revoke` on the database of a running daemon takes effect on the next request.
   */
  authenticate(presented: string): Principal | null {
    const hash = hashKey(presented);
    const hex = hash.toString('hex');
    let entry = this.#byHash.get(hex);
    if (entry?.principal.source === 'api' && fingerprint(this.#stored()) !== this.#storedFingerprint) {
      this.reload();
      entry = this.#byHash.get(hex);
    } else if (!entry && this.#now() - this.#lastReloadMs >= this.#missReloadIntervalMs) {
      this.reload();
      entry = this.#byHash.get(hex);
    }
    if (!entry || !timingSafeEqual(entry.hash, hash)) return null;
    return entry.principal;
  }

  create(name: string, role: KeyRole, views: string[] | null): { key: string; record: StoredApiKey } {
    const created = createStoredKey(this.#store, name, role, views, this.#now());
    this.reload();
    return created;
  }

  /** Revokes a created key at once; keys from the config file are revoked by editing the file and reloading. */
  revoke(id: string): void {
    if (this.#configKeys.some((k) => k.id === id)) {
      throw new ConflictError(`key '${id}' is declared in fusion-config.yaml; remove it there and run \`fustor-fusion reload\``);
    }
    const all = this.#stored();
    const rest = all.filter((k) => k.id !== id);
    if (rest.length === all.length) throw new NotFoundError(`API key '${id}' not found`);
    this.#store.setSetting(STORED_KEYS_SETTING, rest);
    this.reload();
  }

  list(): KeyListing[] {
    const out: KeyListing[] = this.#configKeys.map((k) => ({
      id: k.id,
      name: k.name,
      role: k.role,
      views: k.views,
      key_prefix: null,
      created_at_ms: null,
      source: 'config' as const,
    }));
    for (const k of this.#stored()) {
      out.push({ id: k.id, name: k.name, role: k.role, views: k.views, key_prefix: k.key_prefix, created_at_ms: k.created_at_ms, source: 'api' });
    }
    return out;
  }
}
