// Fusion as a cluster on a real PostgreSQL (cluster.md): kill -9 of the owner under ingest, a paused owner fenced out,
// PostgreSQL restarted under load, a view moved. Three nodes, one agent that knows every node.

import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateTree, PgCluster } from '@fustor/test-helpers';
import { FusionClient } from './helpers/fusion-client.js';
import { waitForOracle } from './helpers/oracle.js';
import { notYet, sleep, waitFor } from './helpers/wait.js';
import { AgentNode, FusionNode, World } from './helpers/world.js';

const LEASE_SEC = 3;

interface Cluster {
  w: World;
  pg: PgCluster;
  nodes: FusionNode[];
  agent: AgentNode;
  data: string;
  client(n: FusionNode): FusionClient;
  /** The live owner of view research, asking every node but `skip` (a paused node would hang the question). */
  owner(skip?: FusionNode): Promise<FusionNode>;
}

async function startCluster(name: string): Promise<Cluster> {
  const w = World.create(name);
  const pg = await PgCluster.start();
  const data = w.dir('data');
  generateTree(data, 3, 20);
  const first = await FusionNode.start(w, { cluster: { pgUrl: pg.url, nodeId: 'a', leaseSec: LEASE_SEC }, sessionTimeoutSec: 30 });
  const keys = { ingestKey: first.ingestKey, adminKey: first.adminKey };
  const nodes = [first];
  for (const id of ['b', 'c']) nodes.push(await FusionNode.start(w, { cluster: { pgUrl: pg.url, nodeId: id, leaseSec: LEASE_SEC }, sessionTimeoutSec: 30, keys }));
  const agent = await AgentNode.start(w, first, {
    agentId: 'cluster-agent',
    endpoints: nodes.map((n) => n.url),
    pipes: [{ id: 'p', dir: data, view: 'research', sessionTimeoutSec: 30, auditIntervalSec: 3600 }],
  });
  const c: Cluster = {
    w, pg, nodes, agent, data,
    client: (n) => new FusionClient(n.url, first.adminKey),
    async owner(skip) {
      return waitFor(async () => {
        for (const n of nodes) {
          if (!n.proc?.running || n === skip) continue;
          const info = await c.client(n).get<{ views: Array<{ view: string; owner: string | null; expired: boolean }> }>('/api/v1/cluster');
          const v = info.views.find((x) => x.view === 'research');
          const o = v && !v.expired ? nodes.find((x) => x.name === `fusion-${v.owner}`) : undefined;
          if (o?.proc?.running && o !== skip) return o;
        }
        return notYet('no live owner yet');
      }, { timeoutMs: 20_000, what: 'the owner of view research' });
    },
  };
  // PostgreSQL is not a process of the world: stop it with the test, whatever happens.
  const { onTestFinished } = await import('vitest');
  onTestFinished(() => pg.destroy());
  await waitForOracle(c.client(first), 'research', data, { timeoutMs: 60_000 });
  return c;
}

/** Writes `n` files under `sub`, a few at a time, while the caller does something to the cluster. */
async function write(c: Cluster, sub: string, n: number, perTick = 5): Promise<void> {
  mkdirSync(join(c.data, sub), { recursive: true });
  for (let i = 0; i < n; i += perTick) {
    for (let k = i; k < Math.min(n, i + perTick); k++) writeFileSync(join(c.data, sub, `f${k}.dat`), `content ${k}`);
    await sleep(50);
  }
}

const survivors = (c: Cluster, dead: FusionNode) => c.nodes.filter((n) => n !== dead);

describe('Fusion cluster on PostgreSQL', () => {
  test('kill -9 of the owner under ingest: another node serves within lease_sec + 5 s, nothing acknowledged is lost, no re-snapshot', async () => {
    const c = await startCluster('cluster-kill');
    const owner = await c.owner();
    const writing = write(c, 'during-failover', 200);
    await sleep(500);
    await owner.kill9();
    const other = survivors(c, owner)[0]!;
    await waitFor(
      async () => {
        const st = await c.client(other).raw('GET', '/api/v1/views/research/stats?path=/');
        return st.status === 200 ? true : notYet(`stats answered ${st.status}`);
      },
      { timeoutMs: (LEASE_SEC + 5) * 1000, what: `view research served again within lease_sec + 5 s of the kill` },
    );
    await writing;
    await waitForOracle(c.client(other), 'research', c.data, { timeoutMs: 60_000 });
    // The agent carried on with its session on the new owner: it never had to snapshot again.
    const pipe = await c.agent.waitForPipe('leader again', (p) => p.state === 'leader');
    expect(pipe.snapshots_completed).toBe(1);
  });

  test('a paused owner (SIGSTOP past its lease) is fenced out: another node takes over, and the old one never answers for the view again', async () => {
    const c = await startCluster('cluster-pause');
    const old = await c.owner();
    old.signal('SIGSTOP');
    try {
      const next = await c.owner(old);
      await write(c, 'while-paused', 40);
      await waitForOracle(c.client(next), 'research', c.data, { timeoutMs: 60_000 });
    } finally {
      old.signal('SIGCONT');
    }
    // Back from the pause, the old node knows its lease is gone: it forwards instead of answering itself.
    const served = await waitFor(async () => {
      const res = await fetch(`${old.url}/api/v1/views/research/stats?path=/`, { headers: { 'x-api-key': old.adminKey } });
      const by = res.headers.get('x-fustor-served-by');
      return res.status === 200 && by && by !== old.url ? by : notYet(`status ${res.status}, served by ${by}`);
    }, { timeoutMs: 20_000, what: 'the resumed node to forward to the new owner' });
    expect(served).not.toBe(old.url);
    await write(c, 'after-resume', 20);
    await waitForOracle(c.client(old), 'research', c.data, { timeoutMs: 60_000 });
    // One history: cursors strictly increasing, each once (no write of the paused node slipped in).
    const cursors: number[] = [];
    for (let since = 0; ; ) {
      const page = await c.client(old).get<{ items: Array<{ cursor: number }>; next_cursor: number }>(`/api/v1/views/research/changes?since=${since}&limit=1000`);
      cursors.push(...page.items.map((e) => e.cursor));
      if (page.next_cursor === since) break;
      since = page.next_cursor;
    }
    expect(cursors).toEqual(Array.from({ length: cursors.length }, (_, i) => cursors[0]! + i));
  });

  test('PostgreSQL restarted under load: Fusion answers 503 while it is gone, loses nothing acknowledged, recovers by itself', async () => {
    const c = await startCluster('cluster-pg-restart');
    const writing = write(c, 'during-outage', 150);
    await sleep(300);
    c.pg.stopServer('immediate');
    const statuses = new Set<number>();
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      for (const n of c.nodes) statuses.add((await c.client(n).raw('GET', '/api/v1/views/research/stats?path=/').catch(() => ({ status: 0 }))).status);
      await sleep(200);
    }
    c.pg.startServer();
    await writing;
    expect(statuses.has(503)).toBe(true);
    await waitForOracle(c.client(c.nodes[0]!), 'research', c.data, { timeoutMs: 90_000 });
  });

  test('a view moved on demand keeps its data, its agent session and its feed cursors', async () => {
    const c = await startCluster('cluster-move');
    const from = await c.owner();
    const to = survivors(c, from)[0]!;
    const sessions = await c.client(from).sessions('research');
    const before = await c.client(from).get<{ latest_cursor: number }>('/api/v1/views/research/changes?limit=1');
    const moved = await c.client(to).raw('POST', '/api/v1/admin/views/research/move', { to: to.name.replace('fusion-', '') });
    expect(moved.status).toBe(200);
    await waitFor(async () => ((await c.owner()) === to ? true : notYet('not moved yet')), { timeoutMs: 20_000, what: 'the target to own the view' });
    await write(c, 'after-move', 30);
    await waitForOracle(c.client(from), 'research', c.data, { timeoutMs: 60_000 });
    expect((await c.client(to).sessions('research')).map((s) => s.session_id)).toEqual(sessions.map((s) => s.session_id));
    const after = await c.client(to).get<{ items: Array<{ cursor: number }> }>(`/api/v1/views/research/changes?since=${before.latest_cursor}&limit=1`);
    expect(after.items[0]?.cursor).toBe(before.latest_cursor + 1);
  });
});
