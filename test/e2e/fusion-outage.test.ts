// R2 (shortened) and R1: Fusion unreachable for a while, and Fusion killed mid-ingest; the agent recovers by itself.

import { mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { walkFusion, waitForOracle } from './helpers/oracle.js';
import { generateTree } from '@fustor/test-helpers';
import { sleep, notYet, waitFor } from './helpers/wait.js';
import { AgentNode, FusionNode, World } from './helpers/world.js';

describe('Fusion outages', () => {
  test('R2: Fusion down 8 s while files change: the agent spools, reconnects and converges', async () => {
    const w = World.create('outage');
    const data = w.dir('data');
    generateTree(data, 4, 10);
    const fusion = await FusionNode.start(w);
    const agent = await AgentNode.start(w, fusion, { agentId: 'spooler', pipes: [{ id: 'p', dir: data, view: 'research' }] });
    await waitForOracle(fusion.client, 'research', data);
    const pipe = async () => (await agent.statusOrNull())?.pipes[0] as { state?: string; spool?: { events?: number } } | undefined;

    const stopped = await fusion.stop();
    expect(stopped.forced).toBe(false);
    const downAt = Date.now();
    // Changes spread over the outage, so some are observed while the agent is mid-backoff.
    writeFileSync(join(data, 'during-1.txt'), 'one');
    unlinkSync(join(data, 'd000', 'f0001.dat'));
    // The agent notices by itself and keeps the events on disk.
    await waitFor(
      async () => {
        const p = await pipe();
        // 'degraded' while the session may still be alive on Fusion, 'reconnecting' once it is gone.
        const unhealthy = p?.state === 'reconnecting' || p?.state === 'degraded';
        return unhealthy && (p.spool?.events ?? 0) > 0 ? p : notYet(JSON.stringify(p));
      },
      { timeoutMs: 6_000, what: 'the pipe to report the outage and spool its events' },
    );
    await sleep(Math.max(0, 3_000 - (Date.now() - downAt)));
    mkdirSync(join(data, 'new-dir'));
    writeFileSync(join(data, 'new-dir', 'during-2.txt'), 'two');
    renameSync(join(data, 'd001'), join(data, 'd001-renamed'));
    await sleep(3_000);
    rmSync(join(data, 'd002'), { recursive: true });
    writeFileSync(join(data, 'd003', 'f0000.dat'), 'rewritten while Fusion was down');
    await sleep(Math.max(0, 8_000 - (Date.now() - downAt))); // the outage itself is the point here

    await fusion.restart();
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 60_000 });
    await waitFor(
      async () => {
        const p = await pipe();
        return p?.state === 'leader' && p.spool?.events === 0 ? p : notYet(JSON.stringify(p));
      },
      { timeoutMs: 15_000, what: 'the pipe to lead again with an empty spool' },
    );
  });

  test('R1: kill -9 Fusion mid-ingest: committed batches survive, the agent reconnects, the oracle matches', async () => {
    const w = World.create('crash');
    const data = w.dir('data');
    generateTree(data, 2, 10);
    const fusion = await FusionNode.start(w);
    await AgentNode.start(w, fusion, { agentId: 'crasher', pipes: [{ id: 'p', dir: data, view: 'research' }] });
    await waitForOracle(fusion.client, 'research', data);

    // A steady stream of new files, so the kill lands while realtime batches are in flight.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      mkdirSync(join(data, 'stream'));
      while (writing && written < 3_000) {
        for (let i = 0; i < 20; i++) writeFileSync(join(data, 'stream', `s${String(written++).padStart(5, '0')}.dat`), 'y'.repeat(written % 50));
        await sleep(10);
      }
    })();
    const beforeKill = await waitFor(
      async () => {
        const seen = await walkFusion(fusion.client, 'research');
        const streamed = [...seen.keys()].filter((p) => p.startsWith('/stream/')).length;
        return streamed >= 100 ? seen : notYet(`${streamed} streamed files visible`);
      },
      { timeoutMs: 30_000, what: 'realtime ingest of the stream to be under way' },
    );
    await fusion.kill9();
    await sleep(500); // writes keep happening while Fusion is dead
    writing = false;
    await writer;

    await fusion.restart();
    // Right after restart, before agents resend anything that matters: every committed entry is still there.
    const afterRestart = await walkFusion(fusion.client, 'research');
    const lost = [...beforeKill.keys()].filter((p) => !afterRestart.has(p));
    expect(lost).toEqual([]);
    await waitForOracle(fusion.client, 'research', data, { timeoutMs: 60_000 });
  });
});
