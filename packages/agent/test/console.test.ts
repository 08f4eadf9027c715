// Browser test of the console page: headless Debian chromium renders a pipe's state and follows changes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Agent } from '../src/agent.js';
import { parseConfig } from '../src/config/load.js';
import { ConsoleServer } from '../src/console/server.js';
import { FakeSender, FakeSource, quietLogger, upsert } from './helpers/fakes.js';
import { launchChromium, skipBrowser, tempTree, waitFor, type TempTree } from '@fustor/test-helpers';


describe.skipIf(skipBrowser)('agent console (needs /usr/bin/chromium: apt-get install -y chromium)', () => {
  let tmp: TempTree;
  let agent: Agent;
  let server: ConsoleServer;
  let browser: Browser;
  const sender = new FakeSender();
  let source!: FakeSource;

  beforeAll(async () => {
    tmp = tempTree();
    const config = parseConfig(
      `
agent_id: console-test
console: { port: 0 }
sources: [{ id: s1, type: fs, config: { uri: "${tmp.dir}" } }]
senders: [{ id: f1, type: fusion, config: { endpoint: "http://127.0.0.1:1", credential: k } }]
pipes: [{ id: demo-pipe, source_id: s1, sender_id: f1 }]
`,
      { file: `${tmp.dir}/agent-config.yaml`, home: tmp.dir },
    );
    sender.heartbeatIntervalSec = 0.05;
    agent = new Agent(config, {
      log: quietLogger(),
      createSource: (o) => (source = new FakeSource(o)),
      createSender: () => sender,
      backoff: { baseMs: 5, capMs: 50 },
      commandWaitMs: 50,
    });
    agent.start();
    server = new ConsoleServer({ host: '127.0.0.1', port: 0, status: () => agent.status() });
    await server.start();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await agent?.stop(100);
    tmp.cleanup();
  });

  it('/api/status answers the envelope with per-pipe state', async () => {
    await waitFor(() => agent.status().pipes[0]?.state === 'leader', 'pipe leader');
    const res = await fetch(`${server.url}/api/status`);
    const body = (await res.json()) as { code: number; data: ReturnType<Agent['status']> };
    expect(body.code).toBe(0);
    expect(body.data.agent_id).toBe('console-test');
    expect(body.data.pipes[0]).toMatchObject({ id: 'demo-pipe', state: 'leader', role: 'leader', session_id: 's1' });
  });

  it('renders the pipe and follows a role change and new events live', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(server.url);
      const pipe = page.locator('[data-pipe="demo-pipe"]');
      await pipe.locator('[data-field="state"]', { hasText: 'leader' }).waitFor({ timeout: 10_000 });
      await expect(pipe.locator('[data-field="session"]').textContent()).resolves.toContain('s1');
      sender.role = 'follower';
      await pipe.locator('[data-field="state"]', { hasText: 'follower' }).waitFor({ timeout: 10_000 });
      source.emit([upsert('/live-1'), upsert('/live-2')]);
      await pipe.locator('[data-field="sent"]', { hasText: 'realtime 2' }).waitFor({ timeout: 10_000 });
      await expect(pipe.locator('[data-field="role"]').textContent()).resolves.toBe('follower');
    } finally {
      await page.close();
    }
  });
});
