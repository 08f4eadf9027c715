// R4 and R3: the agent killed with -9 and restarted, and an agent whose spool overflows while Fusion is down.

import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { waitForOracle } from './helpers/oracle.js';
import { generateTree } from '@fustor/test-helpers';
import { notYet, waitFor } from './helpers/wait.js';
import { AgentNode, FusionNode, World } from './helpers/world.js';

describe('agent faults', () => {
  test('R4: kill -9 the agent and restart it: the new session replaces the old one and the oracle matches', async () => {
    const w = World.create('agent-crash');
    const data = w.dir('data');
    generateTree(data, 3, 10);
    // A long timeout keeps the dead agent's session alive on Fusion, so the restart must replace it.
    const fusion = await FusionNode.start(w, { sessionTimeoutSec: 60 });
    const agent = await AgentNode.start(w, fusion, {
      agentId: 'phoenix',
      pipes: [{ id: 'p', dir: data, view: 'research', sessionTimeoutSec: 60 }],
    });
    await waitForOracle(fusion.client, 'research', data);
    const [old] = await fusion.client.sessions('research');
    expect(old?.role).toBe('leader');

    await agent.kill9();
    writeFileSync(join(data, 'while-dead.txt'), 'nobody saw this being written');
    unlinkSync(join(data, 'd000', 'f0003.dat'));
    renameSync(join(data, 'd001'), join(data, 'd001-moved'));
    await agent.restart();

    const now = await waitFor(
      async () => {
        const s = await fusion.client.sessions('research');
        return s.length === 1 && s[0]!.session_id !== old!.session_id ? s : notYet(JSON.stringify(s));
      },
      { timeoutMs: 15_000, what: 'the restarted agent to replace its old session' },
    );
    expect(now[0]).toMatchObject({ agent_id: 'phoenix', pipe_id: 'p', role: 'leader' });
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 30_000 });
  });

  test('R3: the spool overflows while Fusion is down: the agent drops it, keeps running and re-snapshots', async () => {
    const w = World.create('spool-full');
    const data = w.dir('data');
    generateTree(data, 2, 5);
    const fusion = await FusionNode.start(w);
    const agent = await AgentNode.start(w, fusion, {
      agentId: 'tiny-spool',
      spoolMaxMb: 0.02, // about 20 KB: a few hundred events
      pipes: [{ id: 'p', dir: data, view: 'research' }],
    });
    await waitForOracle(fusion.client, 'research', data);
    const snapshotsBefore = Number((await agent.waitForPipe('a completed snapshot', (p) => Number(p.snapshots_completed) > 0)).snapshots_completed);

    await fusion.stop();
    mkdirSync(join(data, 'burst'));
    for (let i = 0; i < 600; i++) writeFileSync(join(data, 'burst', `b${String(i).padStart(4, '0')}-with-a-longish-name.dat`), String(i));
    await agent.waitForPipe(
      'the spool to overflow and a re-snapshot to be pending',
      (p) => Number((p.spool as { overflows?: number } | undefined)?.overflows) > 0 && p.resnapshot_pending === true,
      { timeoutMs: 20_000 },
    );
    expect(agent.proc!.running).toBe(true);

    await fusion.restart();
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 60_000 });
    await agent.waitForPipe('the re-snapshot to complete', (p) => Number(p.snapshots_completed) > snapshotsBefore && p.resnapshot_pending === false, {
      timeoutMs: 20_000,
    });
  });
});
