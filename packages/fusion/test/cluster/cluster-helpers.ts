// In-process cluster nodes for tests: FusionServers on port 0 sharing one throw-away PostgreSQL.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/config/validate.js';
import { FusionServer } from '../../src/server/fusion-server.js';
import { openViewStore } from '../../src/views/open-view-store.js';
import { Client, KEYS, quietLogger, testConfigRaw } from '../server/helpers.js';

export interface TestNode {
  id: string;
  server: FusionServer;
  client: Client;
  url: string;
  stop(): Promise<void>;
}

/** A node of the cluster: same keys and views as the single-node tests, storage on PostgreSQL. */
export async function startNode(id: string, pgUrl: string, opts: { leaseSec?: number; views?: string[] } = {}): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), `fustor-node-${id}-`));
  const raw = testConfigRaw({
    storage: { backend: 'postgres', url: pgUrl },
    cluster: { node_id: id, lease_sec: opts.leaseSec ?? 2 },
    ...(opts.views ? { views: opts.views.map((v) => ({ id: v })) } : {}),
  });
  const config = resolveConfig(raw, join(dir, 'fusion-config.yaml'), dir);
  const server = new FusionServer({ config, openStore: openViewStore, log: quietLogger(), sessionSweepMs: 50, stopDeadlineMs: 2000 });
  await server.start();
  const client = new Client(server.url);
  return {
    id,
    server,
    client,
    url: server.url,
    async stop() {
      await client.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { KEYS };
