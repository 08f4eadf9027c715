// The console's HTTP surface without a browser: routes, errors as JSON envelopes, a busy port named.

import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleServer } from '../src/console/server.js';

describe('console server', () => {
  const servers: ConsoleServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });
  const start = async (status: () => unknown, port = 0): Promise<ConsoleServer> => {
    const s = new ConsoleServer({ host: '127.0.0.1', port, status });
    await s.start();
    servers.push(s);
    return s;
  };

  it('serves the page, /api/status and /healthz, and answers JSON 404 elsewhere', async () => {
    const s = await start(() => ({ agent_id: 'a1' }));
    const page = await fetch(`${s.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await page.text()).toContain('<html');
    const status = await fetch(`${s.url}/api/status?x=1`);
    expect(status.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await status.json()).toEqual({ code: 0, message: 'success', data: { agent_id: 'a1' } });
    expect(await (await fetch(`${s.url}/healthz`)).json()).toMatchObject({ data: { status: 'ok' } });
    const head = await fetch(`${s.url}/api/status`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const missing = await fetch(`${s.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: 40401, message: 'not found: the console serves / and /api/status' });
    expect((await fetch(`${s.url}/api/status`, { method: 'POST' })).status).toBe(404);
  });

  it('a throwing status() answers 500 with its message and the console keeps serving', async () => {
    let fail = true;
    const s = await start(() => {
      if (fail) throw new Error('pipe table busy');
      return { ok: true };
    });
    const res = await fetch(`${s.url}/api/status`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ code: 50001, message: 'console error: pipe table busy' });
    fail = false;
    expect((await fetch(`${s.url}/api/status`)).status).toBe(200);
  });

  it('a busy port names the setting to change', async () => {
    const first = await start(() => ({}));
    await expect(start(() => ({}), first.port)).rejects.toThrow(/already in use; set console.port in agent-config.yaml/);
  });
});
