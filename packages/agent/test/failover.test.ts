// The sender with several endpoints (cluster nodes): a dead or not-ready node sends the next calls to another one.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FusionSender } from '../src/senders/fusion-sender.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** A fake Fusion answering session creation with `status` (200: a session id naming the node). */
async function node(name: string, status: () => number): Promise<string> {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const st = status();
      res.writeHead(st, { 'content-type': 'application/json' });
      res.end(JSON.stringify(st === 200 ? { code: 0, message: 'success', data: { session_id: `from-${name}`, view: 'v', role: 'leader', timeout_sec: 30, heartbeat_interval_sec: 15, server_time_ms: 1 } } : { code: 50301, message: 'not ready' }));
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const open = (s: FusionSender) => s.openSession({ agent_id: 'a', pipe_id: 'p' });

describe('endpoint list', () => {
  it('moves to the next node when one refuses connections, and stays there while it works', async () => {
    const dead = 'http://127.0.0.1:1';
    const alive = await node('b', () => 200);
    const switches: string[] = [];
    const s = new FusionSender({ endpoint: [dead, alive], credential: 'k', timeoutMs: 2000, onFailover: (from, to) => switches.push(`${from} -> ${to}`) });
    expect((await open(s)).session_id).toBe('from-b');
    expect((await open(s)).session_id).toBe('from-b');
    expect(switches).toEqual([`${dead} -> ${alive}`]);
    await s.close();
  });

  it('a node answering 503 (starting, stopping, its view moving) is left for the next', async () => {
    const busy = await node('a', () => 503);
    const ok = await node('b', () => 200);
    const s = new FusionSender({ endpoint: [busy, ok], credential: 'k', timeoutMs: 2000 });
    expect((await open(s)).session_id).toBe('from-b');
    await s.close();
  });

  it('one endpoint string keeps working as before', async () => {
    const only = await node('a', () => 200);
    const s = new FusionSender({ endpoint: only, credential: 'k', timeoutMs: 2000 });
    expect(s.endpoint).toBe(only);
    expect((await open(s)).session_id).toBe('from-a');
    await s.close();
  });
});
