// The agent web console: a live HTML page and /api/status JSON, bound to 127.0.0.1 by default.
//
// Plain node:http, not express: three fixed routes need no router, and loading express cost ~80 ms
// of CPU at every agent start, on the path to the first snapshot batch (P3's start-up, see
// docs/benchmarks.md). Fusion's API, with its many routes and middleware, stays on express.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONSOLE_PAGE } from './page.js';

export interface ConsoleOptions {
  host: string;
  port: number;
  status: () => unknown;
}

function send(res: ServerResponse, status: number, type: string, body: string, noStore = false): void {
  res.statusCode = status;
  res.setHeader('content-type', `${type}; charset=utf-8`);
  res.setHeader('content-length', Buffer.byteLength(body));
  if (noStore) res.setHeader('cache-control', 'no-store');
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const json = (res: ServerResponse, status: number, value: unknown, noStore = false): void =>
  send(res, status, 'application/json', JSON.stringify(value), noStore);

export class ConsoleServer {
  readonly #o: ConsoleOptions;
  #server: Server | null = null;

  constructor(opts: ConsoleOptions) {
    this.#o = opts;
  }

  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get url(): string {
    const h = this.#o.host === '0.0.0.0' || this.#o.host === '::' ? '127.0.0.1' : this.#o.host;
    return `http://${h.includes(':') ? `[${h}]` : h}:${this.port}`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    const read = req.method === 'GET' || req.method === 'HEAD';
    try {
      if (read && path === '/') send(res, 200, 'text/html', CONSOLE_PAGE, true);
      else if (read && path === '/api/status') json(res, 200, { code: 0, message: 'success', data: this.#o.status() }, true);
      else if (read && path === '/healthz') json(res, 200, { code: 0, message: 'success', data: { status: 'ok' } });
      else json(res, 404, { code: 40401, message: 'not found: the console serves / and /api/status' });
    } catch (err) {
      // A failing status() must not take the console (or the agent) down, nor leak a stack trace.
      json(res, 500, { code: 50001, message: `console error: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => {
        this.#server = server;
        resolve();
      });
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(`console port ${this.#o.host}:${this.#o.port} is already in use; set console.port in agent-config.yaml (0 = any free port)`)
            : err,
        );
      });
      server.listen(this.#o.port, this.#o.host);
    });
  }

  async stop(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    this.#server = null;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
