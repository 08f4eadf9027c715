// Sockets under many connections: silent ones are closed, slow ones get a 408 envelope, the cap holds, long polls keep working.

import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, openSession, startFusion, type TestFusion } from './helpers.js';
import { parseResponse, rawRequest } from './raw-http.js';

let f: TestFusion | undefined;
const opened: Socket[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) s.destroy();
  await f?.close();
  f = undefined;
});

function open(port: number): { sock: Socket; closed: Promise<void>; data: () => string } {
  const sock = connect(port, '127.0.0.1');
  let text = '';
  sock.setEncoding('latin1');
  sock.on('data', (d: string) => (text += d));
  sock.on('error', () => undefined);
  opened.push(sock);
  return { sock, closed: new Promise((r) => sock.once('close', () => r())), data: () => text };
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const SHORT = { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 400, maxConnections: 5000 };

describe('idle and slow sockets', () => {
  it('1,000 sockets that never send a byte are all closed after the headers timeout (2,000 were still open after 150 s)', async () => {
    f = await startFusion({ connections: SHORT });
    const socks = Array.from({ length: 1000 }, () => open(f!.server.port));
    await within(Promise.all(socks.map((s) => s.closed)), 30_000, 'every silent socket to be closed');
    expect((await f.client.get('/readyz')).status).toBe(200);
  });

  it('a long poll that outlasts every timeout still answers, while silent sockets around it are closed', async () => {
    f = await startFusion({ connections: SHORT });
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const silent = Array.from({ length: 200 }, () => open(f!.server.port));
    const poll = f.client.get(`/api/v1/pipe/sessions/${s.session_id}/commands?wait_ms=1500`, KEYS.ingest);
    await within(Promise.all(silent.map((x) => x.closed)), 30_000, 'the silent sockets to be closed');
    const r = await within(poll, 30_000, 'the long poll to answer');
    expect(r.status).toBe(200);
    expect(r.body.data.commands).toEqual([]);
  });

  it('an idle keep-alive connection is closed after its answer once keepAliveTimeout passes', async () => {
    f = await startFusion({ connections: SHORT });
    const c = open(f.server.port);
    c.sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await within(c.closed, 30_000, 'the keep-alive socket to be closed');
    expect(parseResponse(c.data())?.status).toBe(200);
  });

  it('headers sent one byte at a time are answered 408 40801 with an envelope', async () => {
    f = await startFusion({ connections: SHORT });
    const c = open(f.server.port);
    const head = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const drip = setInterval(() => c.sock.writable && c.sock.write(head[i++ % head.length]!), 50);
    try {
      await within(c.closed, 30_000, 'the slow socket to be answered and closed');
    } finally {
      clearInterval(drip);
    }
    const r = parseResponse(c.data());
    expect(r?.status).toBe(408);
    expect(JSON.parse(r!.body)).toMatchObject({ code: 40801 });
  });
});

describe('connection cap and oversized headers', () => {
  it('connections beyond the cap are closed on arrival, and the server serves again once some go', async () => {
    f = await startFusion({ connections: { ...SHORT, headersTimeoutMs: 60_000, maxConnections: 20 } });
    const held = Array.from({ length: 20 }, () => open(f!.server.port));
    // wait until the server has accepted all twenty (the 21st must be refused, not queued)
    await within(
      (async () => {
        for (;;) {
          const extra = open(f!.server.port);
          const closedFirst = await Promise.race([extra.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
          if (closedFirst) return;
          extra.sock.destroy();
        }
      })(),
      30_000,
      'a connection over the cap to be refused',
    );
    for (const h of held) h.sock.destroy();
    await Promise.all(held.map((h) => h.closed));
    const r = await within(rawRequest(f.server.port, { head: 'GET /readyz HTTP/1.1\r\nHost: x' }), 30_000, 'an answer after the cap cleared');
    expect(r.status).toBe(200);
  });

  it('an oversized header gets a 431 43101 envelope, not a bare 431', async () => {
    f = await startFusion();
    const r = await rawRequest(f.server.port, { head: `GET /api/v1/views HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${KEYS.read}\r\nX-Big: ${'b'.repeat(20_000)}` });
    expect(r.status).toBe(431);
    expect(r.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(r.body)).toMatchObject({ code: 43101 });
  });
});
