// The CLI contract of product.md in daemon mode: start -D returns once listening, status exit codes, a live pid file refuses a second start, stop.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { agentConfig, fusionConfig, newKey, writeYaml } from './helpers/configs.js';
import { isReady } from './helpers/fusion-client.js';
import { AGENT_BIN, FUSION_BIN } from './helpers/paths.js';
import { freePort } from './helpers/ports.js';
import { runToCompletion } from './helpers/process.js';
import { World } from './helpers/world.js';

const cli = (bin: string, args: string[]) => runToCompletion(bin, args, { env: { FUSTOR_HOME: undefined }, timeoutMs: 60_000 });

describe('daemon mode (-D), status, stop', () => {
  test('fusion and agent: start -D, status 0, second start refused, stop, status 3', async () => {
    const w = World.create('daemon');
    const home = w.dir('home');
    const data = w.dir('data');
    const port = await freePort();
    const consolePort = await freePort();
    const ingest = newKey('ingest');
    writeYaml(home, 'fusion-config.yaml', fusionConfig({ port, views: ['research'], keys: [{ key: ingest, role: 'ingest', views: ['research'] }] }));
    writeYaml(home, 'agent-config.yaml', agentConfig({
      agentId: 'daemonic', consolePort, pipes: [{ id: 'p', dir: data, view: 'research', endpoint: `http://127.0.0.1:${port}`, credential: ingest }],
    }));
    w.trackPidFile(join(home, 'fusion.pid'));
    w.trackPidFile(join(home, 'agent.pid'));

    const fStart = await cli(FUSION_BIN, ['start', '-D', '--home', home]);
    expect(fStart.code, fStart.stdout + fStart.stderr).toBe(0);
    expect(await isReady(`http://127.0.0.1:${port}`)).toBe(true); // -D returned only once listening
    const aStart = await cli(AGENT_BIN, ['start', '-D', '--home', home]);
    expect(aStart.code, aStart.stdout + aStart.stderr).toBe(0);
    expect((await fetch(`http://127.0.0.1:${consolePort}/api/status`)).status).toBe(200);
    expect(existsSync(join(home, 'logs', 'fusion.log'))).toBe(true);
    expect(existsSync(join(home, 'logs', 'agent.log'))).toBe(true);

    const fStatus = await cli(FUSION_BIN, ['status', '--home', home]);
    expect(fStatus.code).toBe(0);
    expect(fStatus.stdout).toMatch(/research/);
    const aStatus = await cli(AGENT_BIN, ['status', '--home', home]);
    expect(aStatus.code).toBe(0);
    expect(aStatus.stdout).toMatch(/\bp\b/);

    const again = await cli(FUSION_BIN, ['start', '-D', '--home', home]);
    expect(again.code).not.toBe(0);
    expect(again.stdout + again.stderr).toMatch(/already running/);

    const aStop = await cli(AGENT_BIN, ['stop', '--home', home]);
    expect(aStop.code, aStop.stdout + aStop.stderr).toBe(0);
    const fStop = await cli(FUSION_BIN, ['stop', '--home', home]);
    expect(fStop.code, fStop.stdout + fStop.stderr).toBe(0);
    expect((await cli(FUSION_BIN, ['status', '--home', home])).code).toBe(3);
    expect((await cli(AGENT_BIN, ['status', '--home', home])).code).toBe(3);
    expect(existsSync(join(home, 'fusion.pid'))).toBe(false);
    expect(existsSync(join(home, 'agent.pid'))).toBe(false);
  });
});
