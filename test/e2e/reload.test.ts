// R11: reload applies added and removed pipes (agent) and views (Fusion) in place; a broken file keeps the running config.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { fusionConfig } from './helpers/configs.js';
import { waitForOracle } from './helpers/oracle.js';
import { writeTree } from '@fustor/test-helpers';
import { notYet, waitFor } from './helpers/wait.js';
import { AgentNode, FusionNode, World, type AgentStatus } from './helpers/world.js';

const pipeIds = (s: AgentStatus | null): string[] => (s?.pipes ?? []).map((p) => p.id).sort();

describe('reload (R11)', () => {
  test('agent: pipes added and removed without restart; a broken file is refused and the daemon keeps running', async () => {
    const w = World.create('reload-agent');
    const one = w.dir('one');
    const two = w.dir('two');
    writeTree(one, { 'x/1.dat': 'one' });
    writeTree(two, { 'y/2.dat': 'two', 'y/z/3.dat': 'three' });
    const fusion = await FusionNode.start(w, { views: ['research', 'second'] });
    const agent = await AgentNode.start(w, fusion, { agentId: 'reloader', pipes: [{ id: 'first', dir: one, view: 'research' }] });
    await waitForOracle(fusion.client, 'research', one);
    const pid = agent.proc!.pid;

    // Add `second`, remove `first`.
    agent.writeConfig({ agentId: 'reloader', pipes: [{ id: 'second', dir: two, view: 'second' }] });
    const ok = await agent.cli(['reload']);
    expect(ok.code, `reload failed:\n${ok.stdout}\n${ok.stderr}`).toBe(0);
    await waitForOracle(fusion.client, 'second', two);
    await waitFor(
      async () => {
        const ids = pipeIds(await agent.statusOrNull());
        return ids.join() === 'second' ? ids : notYet(`pipes: ${ids.join()}`);
      },
      { timeoutMs: 15_000, what: "the console to list only pipe 'second'" },
    );
    await waitFor(
      async () => {
        const s = await fusion.client.sessions('research');
        return s.length === 0 ? s : notYet(JSON.stringify(s));
      },
      { timeoutMs: 15_000, what: "the removed pipe's session to be closed" },
    );
    expect(agent.proc!.running).toBe(true);
    expect(agent.proc!.pid).toBe(pid);

    // Broken: a pipe that names a source that does not exist.
    const broken = agent.configDoc({ agentId: 'reloader', pipes: [{ id: 'second', dir: two, view: 'second' }] });
    (broken.pipes as Record<string, unknown>[]).push({ id: 'third', source_id: 'no-such-source', sender_id: 'to-second' });
    writeFileSync(join(agent.home, 'agent-config.yaml'), stringify(broken));
    const bad = await agent.cli(['reload']);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/no-such-source/);
    expect(bad.stdout + bad.stderr).toMatch(/pipes\[1\]/);

    // Still on the running config: the pipe keeps working.
    writeTree(two, { 'y/after-broken-reload.dat': 'still watched' });
    await waitForOracle(fusion.client, 'second', two);
    expect(pipeIds(await agent.statusOrNull())).toEqual(['second']);
    expect(agent.proc!.pid).toBe(pid);
  });

  test('fusion: a view added by reload is served; a broken file is refused and the server keeps running', async () => {
    const w = World.create('reload-fusion');
    const fusion = await FusionNode.start(w, { views: ['research'] });
    const keys = [{ key: fusion.ingestKey, role: 'ingest' as const, views: ['research', 'added'] }, { key: fusion.adminKey, role: 'admin' as const }];
    writeFileSync(join(fusion.home, 'fusion-config.yaml'), stringify(fusionConfig({ port: fusion.port, views: ['research', 'added'], keys })));
    const ok = await fusion.cli(['reload']);
    expect(ok.code, `reload failed:\n${ok.stdout}\n${ok.stderr}`).toBe(0);
    await waitFor(
      async () => ((await fusion.client.view('added')) ? true : notYet('view added not listed')),
      { timeoutMs: 10_000, what: "view 'added' to be served" },
    );

    writeFileSync(join(fusion.home, 'fusion-config.yaml'), 'server: { port: "not a number" }\nbogus_key: 1\n');
    const bad = await fusion.cli(['reload']);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/fusion-config\.yaml/);
    expect(fusion.proc!.running).toBe(true);
    expect(await fusion.client.view('added')).toBeDefined();
  });
});
