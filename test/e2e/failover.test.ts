// R5: two agents feed one view; killing the leader promotes the follower in time and it takes over scans.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { SessionInfo } from '@fustor/protocol';
import { waitForOracle } from './helpers/oracle.js';
import { generateTree } from '@fustor/test-helpers';
import { notYet, waitFor } from './helpers/wait.js';
import { AgentNode, FusionNode, World } from './helpers/world.js';

const TIMEOUT_SEC = 3;

describe('leader failover (R5)', () => {
  test('kill -9 of the leader agent: the follower leads within timeout + one heartbeat and audits', async () => {
    const w = World.create('failover');
    const data = w.dir('data');
    generateTree(data, 5, 20);
    const fusion = await FusionNode.start(w, { sessionTimeoutSec: TIMEOUT_SEC });
    const sessions = (): Promise<SessionInfo[]> => fusion.client.sessions('research');

    const first = await AgentNode.start(w, fusion, {
      agentId: 'first',
      pipes: [{ id: 'p', dir: data, view: 'research', sessionTimeoutSec: TIMEOUT_SEC }],
    });
    await waitFor(
      async () => {
        const s = await sessions();
        return s.some((x) => x.agent_id === 'first' && x.role === 'leader') ? s : notYet(JSON.stringify(s));
      },
      { timeoutMs: 15_000, what: "agent 'first' to hold the leader session" },
    );
    await waitForOracle(fusion.client, 'research', data);

    // Scan-only follower: after promotion, anything new can only reach Fusion through its snapshot/audit.
    const second = await AgentNode.start(w, fusion, {
      agentId: 'second',
      pipes: [{ id: 'p', dir: data, view: 'research', sessionTimeoutSec: TIMEOUT_SEC, realtime: false }],
    });
    const both = await waitFor(
      async () => {
        const s = await sessions();
        return s.some((x) => x.agent_id === 'second') ? s : notYet(JSON.stringify(s));
      },
      { timeoutMs: 15_000, what: "agent 'second' to open a session" },
    );
    const follower = both.find((x) => x.agent_id === 'second')!;
    expect(follower.role).toBe('follower');
    expect(both.find((x) => x.agent_id === 'first')?.role).toBe('leader');

    await first.kill9();
    // The deadline is the requirement (timeout + one heartbeat interval, plus slack for a loaded 2-core
    // machine): waitFor fails the test if it passes.
    const promoted = await waitFor(
      async () => {
        const s = await sessions();
        const leader = s.find((x) => x.role === 'leader');
        return leader?.agent_id === 'second' ? s : notYet(JSON.stringify(s));
      },
      { timeoutMs: TIMEOUT_SEC * 1000 * 1.5 + 3_000, intervalMs: 100, what: "agent 'second' to become leader after the leader was killed" },
    );
    // What failover means: Fusion itself expired the dead leader's session and promoted the follower's
    // existing session — the follower did not have to reconnect to become leader.
    expect(promoted.some((x) => x.agent_id === 'first')).toBe(false);
    expect(promoted.find((x) => x.agent_id === 'second')!.session_id).toBe(follower.session_id);

    // Takeover: the new leader snapshots; after that a change can only be found by its audits (it has no watcher).
    await second.waitForPipe('leader state and a completed snapshot', (p) => p.state === 'leader' && Number(p.snapshots_completed) > 0);
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 20_000 });
    writeFileSync(join(data, 'd001', 'after-failover.dat'), 'written after the leader died');
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 20_000 });
    const additions = await fusion.client.blindSpots('research', 'addition');
    expect(additions).toContain('/d001/after-failover.dat');
    await second.waitForPipe('an audit completed as leader', (p) => Number(p.audits_completed) > 0);
  });
});
