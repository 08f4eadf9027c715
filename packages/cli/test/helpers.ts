// Test harness of the CLI: a real Fusion in this process (restartable on the same port), a seeded view, and the
// built `fustor` bin run as a child process (needs `npx tsc -b`).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notYet, Signal, waitFor } from '@fustor/test-helpers';
import { resolveConfig } from '../../fusion/src/config/validate.js';
import type { FusionConfig } from '../../fusion/src/config/types.js';
import { FusionServer } from '../../fusion/src/server/fusion-server.js';
import { openViewStore } from '../../fusion/src/views/open-view-store.js';
import { Client, KEYS, openSession, quietLogger, testConfigRaw } from '../../fusion/test/server/helpers.js';

export { KEYS };
export const BIN = fileURLToPath(new URL('../bin/fustor.js', import.meta.url));
const DIST_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export function requireBuild(): void {
  if (!existsSync(DIST_MAIN)) throw new Error(`${DIST_MAIN} is missing: run \`npx tsc -b\` (npm test builds first) before the CLI tests`);
}

/** Fusion on a port chosen once, so a restart comes back where clients left it. */
export class CliFusion {
  server!: FusionServer;
  client!: Client;
  readonly dir = mkdtempSync(join(tmpdir(), 'fustor-cli-test-'));
  readonly home = mkdtempSync(join(tmpdir(), 'fustor-cli-home-'));
  readonly config: FusionConfig;
  #port = 0;
  #sid = '';
  #seq = 0;

  constructor(feed?: Record<string, number>) {
    const raw = testConfigRaw({ views: [{ id: 'research', hot_file_threshold_sec: 2 }, { id: 'other' }] });
    const c = resolveConfig(raw, join(this.dir, 'fusion-config.yaml'), this.dir);
    this.config = feed ? ({ ...c, feed } as FusionConfig) : c;
  }

  get url(): string {
    return this.server.url;
  }

  async start(): Promise<void> {
    this.server = new FusionServer({ config: this.config, openStore: openViewStore, log: quietLogger(), port: this.#port, sessionSweepMs: 50, stopDeadlineMs: 1000 });
    await this.server.start();
    this.#port = this.server.port;
    this.client = new Client(this.server.url);
  }

  async stop(): Promise<void> {
    await this.client.close();
    await this.server.stop();
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.home, { recursive: true, force: true });
  }

  /** A leader session on `research` (again after a restart: the old one may have expired). */
  async session(): Promise<void> {
    this.#sid = (await openSession(this.client, KEYS.ingest, { agent_id: 'cli-test', pipe_id: 'p', view: 'research' })).session_id;
    this.#seq = 0;
  }

  async post(path: string, body?: unknown): Promise<any> {
    const r = await this.client.post(`/api/v1/pipe/sessions/${this.#sid}${path}`, KEYS.ingest, body);
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.data;
  }

  async events(source: 'snapshot' | 'realtime', events: unknown[]): Promise<void> {
    await this.post('/events', { message_source: source, batch_seq: this.#seq++, events });
  }
}

const HOUR = 3_600_000;
export const OLD = Date.now() - 24 * HOUR;
const meta = (uid: number) => ({ uid, gid: 100, mode: 0o644, ctime_ms: OLD });

/** /projects/alpha (alice's csv files), /projects/beta (bob's notes), /raw/big.bin (2 GiB, alice); snapshot complete. */
export async function seed(f: CliFusion): Promise<void> {
  await f.session();
  await f.post('/principals', { users: { '1001': 'alice', '1002': 'bob' }, groups: { '100': 'lab' } });
  await f.post('/snapshot/start');
  const dir = (path: string) => ({ op: 'upsert', path, is_dir: true, mtime_ms: OLD, kind: 'dir', ...meta(1001), mode: 0o755 });
  const file = (path: string, size: number, uid: number, mtime = OLD) => ({ op: 'upsert', path, is_dir: false, size, mtime_ms: mtime, kind: 'file', ...meta(uid) });
  await f.events('snapshot', [
    dir('/projects'), dir('/projects/alpha'), dir('/projects/beta'), dir('/raw'),
    file('/projects/alpha/run-001.csv', 1500, 1001, Date.now() - HOUR),
    file('/projects/alpha/run-002.csv', 300, 1001),
    file('/projects/beta/notes.md', 20, 1002),
    file('/raw/big.bin', 2 * 1024 ** 3, 1001),
  ]);
  await f.post('/snapshot/end', { complete: true });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment of a run: no client.yaml unless the test writes one, URL and key from the environment. */
export function cliEnv(f: CliFusion, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FUSTOR_HOME: f.home, FUSTOR_URL: f.url, FUSTOR_KEY: KEYS.read, FUSTOR_VIEW: undefined, ...extra };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

export function runFustor(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<RunResult> {
  return runCommand(process.execPath, [BIN, ...args], env, timeoutMs);
}

export function runCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running fustor (watch, wait-stable) whose output lines can be awaited. */
export class LiveFustor {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  exit: number | null | undefined = undefined;
  readonly #changed = new Signal();

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child.stdout!.on('data', (d) => ((this.stdout += d), this.#changed.fire()));
    this.child.stderr!.on('data', (d) => ((this.stderr += d), this.#changed.fire()));
    this.child.on('exit', (code) => ((this.exit = code), this.#changed.fire()));
  }


  lines(): string[] {
    return this.stdout.split('\n').filter(Boolean);
  }

  /** Waits until `check` holds (re-checked on every output chunk and at exit) or the deadline passes. */
  until(check: (f: LiveFustor) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    return waitFor(() => check(this) || notYet(`stdout: ${this.stdout}\nstderr: ${this.stderr}\nexit: ${this.exit}`), {
      what,
      timeoutMs,
      wake: this.#changed.wake,
    }).then(() => undefined);
  }


  async stop(): Promise<number | null | undefined> {
    if (this.exit === undefined) {
      this.child.kill('SIGINT');
      await this.until((f) => f.exit !== undefined, 'fustor to exit after SIGINT');
    }
    return this.exit;
  }
}
