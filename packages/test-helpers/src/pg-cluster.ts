// A throw-away PostgreSQL server for tests: initdb in a temp dir and pg_ctl, run as the `postgres` user (the server refuses root).

import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

/** Debian's postgresql package; the newest major installed. */
export function pgBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const majors = readdirSync(base).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  for (const m of majors) if (existsSync(join(base, m, 'bin', 'initdb'))) return join(base, m, 'bin');
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function uidGid(user: string): { uid: number; gid: number } {
  return { uid: Number(execFileSync('id', ['-u', user]).toString().trim()), gid: Number(execFileSync('id', ['-g', user]).toString().trim()) };
}

/** Runs a PostgreSQL binary as `postgres` when we are root (tests run as root here), directly otherwise. */
function asPostgres(bin: string, args: string[]): string {
  const root = process.getuid?.() === 0;
  const [cmd, argv] = root ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).toString();
}

export class PgCluster {
  readonly dir: string;
  readonly port: number;
  readonly #bin: string;
  readonly #durable: boolean;

  private constructor(dir: string, port: number, bin: string, durable: boolean) {
    this.dir = dir;
    this.port = port;
    this.#bin = bin;
    this.#durable = durable;
  }

  /**
   * initdb + start; the database `fustor` exists, trust auth on loopback. Tests run with fsync off (a test
   * server's power loss is not under test); `durable` keeps PostgreSQL's defaults (benchmarks of durable commits).
   */
  static async start(opts: { durable?: boolean } = {}): Promise<PgCluster> {
    const bin = pgBinDir();
    if (!bin) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql); /usr/lib/postgresql/*/bin/initdb not found');
    const dir = mkdtempSync(join(tmpdir(), 'fustor-pg-'));
    chmodSync(dir, 0o755);
    if (process.getuid?.() === 0) {
      const { uid, gid } = uidGid('postgres');
      chownSync(dir, uid, gid);
    }
    const c = new PgCluster(dir, await freePort(), bin, opts.durable ?? false);
    asPostgres(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', ...(opts.durable ? [] : ['--no-sync']), '-E', 'UTF8', '--locale=C']);
    c.startServer();
    asPostgres(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(c.port), '-U', 'postgres', '-d', 'postgres', '-qc', 'CREATE DATABASE fustor']);
    return c;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/fustor`;
  }

  /** (Re)starts the server and waits until it accepts connections. */
  startServer(): void {
    asPostgres(join(this.#bin, 'pg_ctl'), [
      '-D', join(this.dir, 'data'), '-l', join(this.dir, 'server.log'), '-w', '-t', '60',
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 ${this.#durable ? '' : '-c fsync=off '}-c max_connections=200`, 'start',
    ]);
  }

  /** Stops the server; `immediate` is a crash-like stop (no checkpoint), as a dying server. */
  stopServer(mode: 'fast' | 'immediate' = 'fast'): void {
    try {
      asPostgres(join(this.#bin, 'pg_ctl'), ['-D', join(this.dir, 'data'), '-m', mode, '-w', '-t', '60', 'stop']);
    } catch {
      // already stopped
    }
  }

  psql(sql: string): string {
    return asPostgres(join(this.#bin, 'psql'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', 'fustor', '-qAtc', sql]);
  }

  destroy(): void {
    this.stopServer('immediate');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
