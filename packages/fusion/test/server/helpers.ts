// Test harness: a real Fusion server on port 0 over a temp-dir database, plus a small JSON client.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, type Dispatcher } from 'undici';
import { createLogger, type Envelope, type Logger } from '@fustor/protocol';
import { resolveConfig } from '../../src/config/validate.js';
import type { FusionConfig } from '../../src/config/types.js';
import type { ConnectionLimits } from '../../src/server/connections.js';
import { FusionServer } from '../../src/server/fusion-server.js';
import { openViewStore } from '../../src/views/open-view-store.js';

export const KEYS = {
  admin: 'fk_test_admin_000000000000',
  ingest: 'fk_test_ingest_research_0000',
  ingestOther: 'fk_test_ingest_other_000000',
  ingestAll: 'fk_test_ingest_all_00000000',
  read: 'fk_test_read_research_000000',
  readOther: 'fk_test_read_other_00000000',
  readAll: 'fk_test_read_all_0000000000',
} as const;

export function testConfigRaw(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port: 0, max_body_mb: 1 },
    session: { timeout_sec: 30 },
    views: [{ id: 'research' }, { id: 'other' }],
    api_keys: [
      { key: KEYS.admin, role: 'admin' },
      { key: KEYS.ingest, role: 'ingest', views: ['research'] },
      { key: KEYS.ingestOther, role: 'ingest', views: ['other'] },
      { key: KEYS.ingestAll, role: 'ingest' },
      { key: KEYS.read, role: 'read', views: ['research'] },
      { key: KEYS.readOther, role: 'read', views: ['other'] },
      { key: KEYS.readAll, role: 'read' },
    ],
    ...extra,
  };
}

export interface Reply<T = any> {
  status: number;
  body: Envelope<T> & { data: T };
  headers: Headers;
}

export class Client {
  readonly #pool: Pool;
  constructor(readonly base: string) {
    this.#pool = new Pool(base || 'http://127.0.0.1:1', { connections: 16 });
  }
  async call<T = any>(method: string, path: string, opts: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers['x-api-key'] = opts.key;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.#pool.request({ method: method as Dispatcher.HttpMethod, path, headers, body });
    const text = await res.body.text();
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { raw: text };
    }
    const h = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
    return { status: res.statusCode, body: parsed, headers: h };
  }
  close(): Promise<void> {
    return this.#pool.close();
  }
  get<T = any>(path: string, key?: string | null) {
    return this.call<T>('GET', path, { key });
  }
  post<T = any>(path: string, key: string | null, body?: unknown) {
    return this.call<T>('POST', path, { key, body });
  }
}

export interface TestFusion {
  server: FusionServer;
  client: Client;
  dir: string;
  config: FusionConfig;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const quietLogger = (): Logger => createLogger({ level: 'error', sink: () => undefined });

/** Starts Fusion on port 0 with a fresh temp home; `restart` reopens the same database. */
export async function startFusion(
  opts: {
    raw?: Record<string, unknown>;
    sweepMs?: number;
    patch?: (c: FusionConfig) => FusionConfig;
    feedKeepaliveMs?: number;
    webhookRetryMs?: { base: number; max: number };
    connections?: Partial<ConnectionLimits>;
    openStore?: typeof openViewStore;
  } = {},
): Promise<TestFusion> {
  const dir = mkdtempSync(join(tmpdir(), 'fustor-fusion-test-'));
  const resolved = resolveConfig(opts.raw ?? testConfigRaw(), join(dir, 'fusion-config.yaml'), dir);
  const config = opts.patch ? opts.patch(resolved) : resolved;
  const make = () =>
    new FusionServer({
      config,
      openStore: opts.openStore ?? openViewStore,
      log: quietLogger(),
      sessionSweepMs: opts.sweepMs ?? 50,
      stopDeadlineMs: 2000,
      connections: opts.connections,
      ...(opts.feedKeepaliveMs !== undefined ? { feedKeepaliveMs: opts.feedKeepaliveMs } : {}),
      ...(opts.webhookRetryMs !== undefined ? { webhookRetryMs: opts.webhookRetryMs } : {}),
    });
  const t: TestFusion = {
    server: make(),
    client: new Client(''),
    dir,
    config,
    async restart() {
      await t.client.close();
      await t.server.stop();
      t.server = make();
      await t.server.start();
      t.client = new Client(t.server.url);
    },
    async close() {
      await t.client.close();
      await t.server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await t.server.start();
  t.client = new Client(t.server.url);
  return t;
}

export async function openSession(c: Client, key: string, body: Record<string, unknown>): Promise<{ session_id: string; role: string; timeout_sec: number }> {
  const r = await c.post('/api/v1/pipe/sessions', key, body);
  if (r.status !== 200) throw new Error(`session create failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
}

export function upserts(n: number, prefix = '/f', mtime = 1_700_000_000_000): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => ({ op: 'upsert', path: `${prefix}${i}`, is_dir: false, size: i, mtime_ms: mtime + i }));
}
