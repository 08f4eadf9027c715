// R6: changes no agent watched (agent stopped, or a scan-only source) are found by scans and marked as blind spots.

import { appendFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { waitForOracle } from './helpers/oracle.js';
import { generateTree } from '@fustor/test-helpers';
import { notYet, waitFor } from './helpers/wait.js';
import { AgentNode, FusionNode, World } from './helpers/world.js';

describe('blind spots (R6)', () => {
  test('changes made while the agent was stopped converge; deletions show as blind-spot deletions', async () => {
    const w = World.create('blind-restart');
    const data = w.dir('data');
    generateTree(data, 3, 5);
    const fusion = await FusionNode.start(w);
    const agent = await AgentNode.start(w, fusion, { agentId: 'watcher', pipes: [{ id: 'p', dir: data, view: 'research', auditIntervalSec: 1 }] });
    await waitForOracle(fusion.client, 'research', data);

    const stopped = await agent.proc!.stop();
    expect(stopped.forced).toBe(false);
    writeFileSync(join(data, 'd000', 'unseen-new.dat'), 'nobody watched this');
    appendFileSync(join(data, 'd001', 'f0002.dat'), 'grown');
    unlinkSync(join(data, 'd001', 'f0000.dat'));
    rmSync(join(data, 'd002'), { recursive: true });

    await agent.restart();
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 30_000 });
    await waitFor(
      async () => {
        const del = await fusion.client.blindSpots('research', 'deletion');
        const want = ['/d001/f0000.dat', '/d002'];
        return want.every((p) => del.includes(p)) ? del : notYet(`deletions: ${JSON.stringify(del)}`);
      },
      { timeoutMs: 15_000, what: 'the audit to report the deletions as blind-spot deletions' },
    );
  });

  test('a scan-only source (realtime: false): the audit finds additions and deletions as blind spots', async () => {
    const w = World.create('blind-scan-only');
    const data = w.dir('data');
    generateTree(data, 2, 5);
    const fusion = await FusionNode.start(w);
    const agent = await AgentNode.start(w, fusion, {
      agentId: 'scanner',
      pipes: [{ id: 'p', dir: data, view: 'research', realtime: false, auditIntervalSec: 1 }],
    });
    await waitForOracle(fusion.client, 'research', data);
    // Changes after the snapshot can only be found by audits.
    await agent.waitForPipe('a completed snapshot', (p) => Number(p.snapshots_completed) > 0);

    writeFileSync(join(data, 'd000', 'added.dat'), 'found by audit');
    unlinkSync(join(data, 'd001', 'f0003.dat'));
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 20_000 });
    const [add, del] = await Promise.all([
      fusion.client.blindSpots('research', 'addition'),
      fusion.client.blindSpots('research', 'deletion'),
    ]);
    expect(add).toContain('/d000/added.dat');
    expect(del).toContain('/d001/f0003.dat');
  });
});
