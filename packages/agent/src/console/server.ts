// The agent web console: a live HTML page and /api/status JSON, bound to 127.0.0.1 by default.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { CONSOLE_PAGE } from './page.js';

export interface ConsoleOptions {
  host: string;
  port: number;
  status: () => unknown;
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

  async start(): Promise<void> {
    const app = express();
    app.disable('x-powered-by');
    app.get('/', (_req, res) => {
      res.type('html').set('cache-control', 'no-store').send(CONSOLE_PAGE);
    });
    app.get('/api/status', (_req, res) => {
      res.set('cache-control', 'no-store').json({ code: 0, message: 'success', data: this.#o.status() });
    });
    app.get('/healthz', (_req, res) => {
      res.json({ code: 0, message: 'success', data: { status: 'ok' } });
    });
    app.use((_req, res) => {
      res.status(404).json({ code: 40401, message: 'not found: the console serves / and /api/status' });
    });
    // A failing status() must not take the console (or the agent) down, nor leak a stack trace.
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ code: 50001, message: `console error: ${err instanceof Error ? err.message : String(err)}` });
    });
    await new Promise<void>((resolve, reject) => {
      const server = app.listen(this.#o.port, this.#o.host);
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
