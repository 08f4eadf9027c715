// R7 and R8 under load: deletes, re-creations and old-mtime copies racing frequent audits must all survive arbitration.

import { copyFileSync, existsSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { waitForOracle } from './helpers/oracle.js';
import { generateTree } from '@fustor/test-helpers';
import { sleep } from './helpers/wait.js';
import { AgentNode, FusionNode, World } from './helpers/world.js';
import { seededRandom } from '@fustor/test-helpers';

describe('churn during audits (R7, R8)', () => {
  test('deleted files stay deleted, re-created ones come back, cp -p style copies are not removed', async () => {
    const w = World.create('audit-churn');
    const data = w.dir('data');
    const DIRS = 40;
    const PER_DIR = 100;
    generateTree(data, DIRS, PER_DIR);
    const fusion = await FusionNode.start(w);
    const agent = await AgentNode.start(w, fusion, {
      agentId: 'churner',
      pipes: [{ id: 'p', dir: data, view: 'research', auditIntervalSec: 0.5 }],
    });
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 30_000 });
    const auditsBefore = Number((await agent.waitForPipe('a first audit', (p) => Number(p.audits_completed) > 0, { timeoutMs: 20_000 })).audits_completed);

    const rand = seededRandom(7);
    const file = (d: number, f: number) => join(data, `d${String(d).padStart(3, '0')}`, `f${String(f).padStart(4, '0')}.dat`);
    const deleted: string[] = [];
    const old = new Date('2020-01-02T03:04:05Z');
    const until = Date.now() + 6_000;
    let copies = 0;
    while (Date.now() < until) {
      for (let k = 0; k < 5; k++) {
        const d = Math.floor(rand() * DIRS);
        const victim = file(d, Math.floor(rand() * PER_DIR));
        if (existsSync(victim)) {
          unlinkSync(victim); // R7: must not come back through a stale audit listing
          deleted.push(victim);
        }
        if (deleted.length > 10 && rand() < 0.3) {
          writeFileSync(deleted.splice(Math.floor(rand() * deleted.length), 1)[0]!, 'genuinely re-created'); // R7: must come back
        }
        // R8: a copy that keeps an old mtime (cp -p, rsync -a) into a directory an audit may be listing.
        const src = file(Math.floor(rand() * DIRS), Math.floor(rand() * PER_DIR));
        const dst = join(data, `d${String(d).padStart(3, '0')}`, `copy-${copies++}.dat`);
        if (existsSync(src)) {
          copyFileSync(src, dst);
          utimesSync(dst, old, old);
        }
      }
      await sleep(20); // paces the churn over several audit cycles (not a synchronization)
    }

    // The churn must really have raced audits, or this test proves nothing.
    const auditsDuring = Number((await agent.statusOrNull())?.pipes[0]?.audits_completed) - auditsBefore;
    expect(auditsDuring).toBeGreaterThanOrEqual(3);

    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 30_000 });
    // Two more complete audits over the settled tree must not change the verdict.
    await agent.waitForPipe('two more audits', (p) => Number(p.audits_completed) >= auditsBefore + auditsDuring + 2, { timeoutMs: 30_000 });
    const settled = await waitForOracle(fusion.client, 'research', data, { timeoutMs: 10_000 });
    expect([...settled.keys()].filter((p) => p.includes('/copy-')).length).toBeGreaterThan(100);
  });
});
