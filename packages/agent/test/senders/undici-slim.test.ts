// The agent's HTTP transport over undici's Agent and request modules imported by path (undici-slim.ts):
// a real server on port 0 sees the method, path (with the endpoint's own prefix and the query), headers
// and body, and the module paths still export what the transport calls.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent, request } from '../../src/senders/undici-slim.js';
import { createHttpTransport } from '../../src/senders/http.js';
import { FusionError } from '../../src/errors.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('undici, imported by module path', () => {
  let server: Server;
  let port: number;
  let seen: Seen[];

  beforeEach(async () => {
    seen = [];
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.setHeader('content-type', 'application/json');
        if (req.url!.includes('fail')) {
          res.statusCode = 503;
          res.setHeader('retry-after', '2');
          res.end(JSON.stringify({ code: 50301, message: 'not now' }));
          return;
        }
        res.end(JSON.stringify({ code: 0, message: 'success', data: { echoed: body.length } }));
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('exports the Agent class and a request function that answers with status, headers and body', async () => {
    const agent = new Agent({ connections: 1 });
    try {
      expect(typeof agent.dispatch).toBe('function');
      const res = await request(agent, { origin: `http://127.0.0.1:${port}`, path: '/x?y=1', method: 'GET' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      expect(await res.body.json()).toEqual({ code: 0, message: 'success', data: { echoed: 0 } });
      expect(seen[0]).toMatchObject({ method: 'GET', url: '/x?y=1' });
    } finally {
      await agent.close();
    }
  });

  it('the transport keeps the endpoint path prefix, sends the key and the body, and maps errors', async () => {
    const t = createHttpTransport({ endpoint: `http://127.0.0.1:${port}/fustor/`, credential: 'k1', timeoutMs: 5000 });
    try {
      const data = await t.call({ method: 'POST', path: '/api/v1/pipe/sessions?view=v', body: { a: 1 } });
      expect(data).toEqual({ echoed: 7 });
      expect(seen[0]).toMatchObject({ method: 'POST', url: '/fustor/api/v1/pipe/sessions?view=v', body: '{"a":1}' });
      expect(seen[0]!.headers).toMatchObject({ 'x-api-key': 'k1', 'content-type': 'application/json', 'user-agent': 'fustor-agent' });
      const err = await t.call({ method: 'GET', path: '/fail' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FusionError);
      expect(err).toMatchObject({ status: 503, code: 50301, retryAfterMs: 2000 });
    } finally {
      await t.close();
    }
  });
});
