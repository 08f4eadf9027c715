// The agent web console: a live HTML page and /api/status JSON, bound to 127.0.0.1 by default.
//
// Plain node:http rather than express: three fixed GET routes do not need a framework, and
// loading express cost the agent ~0.3–0.5 s of startup (before the first snapshot) plus memory.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONSOLE_PAGE } from './page.js';

export interface ConsoleOptions {
  host: string;
  port: number;
  status: () => unknown;
}

function send(res: ServerResponse, status: number, type: string, body: string, noStore: boolean): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    ...(noStore ? { 'cache-control': 'no-store' } : {}),
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown, noStore = false): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), noStore);
}

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
    const get = req.method === 'GET' || req.method === 'HEAD';
    try {
      if (get && path === '/') send(res, 200, 'text/html; charset=utf-8', CONSOLE_PAGE, true);
      else if (get && path === '/api/status') json(res, 200, { code: 0, message: 'success', data: this.#o.status() }, true);
      else if (get && path === '/healthz') json(res, 200, { code: 0, message: 'success', data: { status: 'ok' } });
      else json(res, 404, { code: 40401, message: 'not found: the console serves / and /api/status' });
    } catch (err) {
      // A failing status() must not take the console (or the agent) down.
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
