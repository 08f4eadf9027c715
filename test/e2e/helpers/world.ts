// One e2e test's universe: a temp dir, the Fusion and agent processes it started, and their cleanup.

import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { agentConfig, fusionConfig, newKey, writeYaml, type AgentPipeInput } from './configs.js';
import { FusionClient, isReady } from './fusion-client.js';
import { AGENT_BIN, FUSION_BIN, REPO_ROOT } from './paths.js';
import { freePort } from './ports.js';
import { ManagedProcess, runToCompletion, tailOf, type RunResult } from './process.js';
import { waitFor } from './wait.js';

export const READY_TIMEOUT_MS = 30_000;

export class World {
  readonly root: string;
  readonly logsDir: string;
  readonly #procs: ManagedProcess[] = [];
  #n = 0;

  private constructor(name: string) {
    this.root = mkdtempSync(join(tmpdir(), `fustor-e2e-${name}-`));
    this.logsDir = join(this.root, 'logs');
    mkdirSync(this.logsDir);
  }

  /** Creates the world and registers its teardown (log dump on failure, children killed, dir removed). */
  static create(name: string): World {
    const w = new World(name);
    onTestFinished(async (ctx) => {
      if (ctx.task.result?.state === 'fail') console.error(w.dumpLogs());
      await w.cleanup();
    });
    return w;
  }

  dir(name: string): string {
    const p = join(this.root, name);
    mkdirSync(p, { recursive: true });
    return p;
  }

  spawn(name: string, script: string, args: string[], env?: Record<string, string | undefined>): ManagedProcess {
    const logFile = join(this.logsDir, `${name}.log`);
    appendFileSync(logFile, `===== ${new Date().toISOString()} start #${++this.#n}: ${script} ${args.join(' ')}\n`);
    const p = new ManagedProcess({ name, script, args, logFile, env: { FUSTOR_HOME: undefined, ...env }, cwd: REPO_ROOT });
    this.#procs.push(p);
    return p;
  }

  /** Tails of every process log, for a failing test's output. */
  dumpLogs(): string {
    const parts = [`e2e world ${this.root}`];
    for (const f of readdirSync(this.logsDir)) parts.push(`----- ${f} (tail) -----\n${tailOf(join(this.logsDir, f), 80)}`);
    return parts.join('\n');
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#procs.map((p) => p.kill9()));
    if (process.env.FUSTOR_E2E_KEEP !== '1') rmSync(this.root, { recursive: true, force: true });
  }
}

export interface FusionOptions {
  views?: string[];
  sessionTimeoutSec?: number;
}

/** A Fusion server in the foreground with its own home; restartable on the same port and database. */
export class FusionNode {
  readonly home: string;
  readonly port: number;
  readonly url: string;
  readonly ingestKey: string;
  readonly adminKey: string;
  readonly client: FusionClient;
  proc: ManagedProcess | null = null;

  private constructor(readonly world: World, home: string, port: number) {
    this.home = home;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.ingestKey = newKey('ingest');
    this.adminKey = newKey('admin');
    this.client = new FusionClient(this.url, this.adminKey);
  }

  static async start(world: World, opts: FusionOptions = {}): Promise<FusionNode> {
    const node = new FusionNode(world, world.dir('fusion-home'), await freePort());
    const views = opts.views ?? ['research'];
    writeYaml(
      node.home,
      'fusion-config.yaml',
      fusionConfig({
        port: node.port,
        views,
        sessionTimeoutSec: opts.sessionTimeoutSec,
        keys: [
          { key: node.ingestKey, role: 'ingest', views },
          { key: node.adminKey, role: 'admin' },
        ],
      }),
    );
    await node.restart();
    return node;
  }

  /** Starts the process (again) and waits for /readyz. */
  async restart(): Promise<void> {
    if (this.proc?.running) throw new Error('fusion is still running');
    const proc = this.world.spawn('fusion', FUSION_BIN, ['start', '--home', this.home]);
    this.proc = proc;
    await waitFor(
      async () => {
        if (!proc.running) throw new Error(`fusion exited early (${JSON.stringify(proc.exitInfo)}):\n${proc.tail(30)}`);
        return (await isReady(this.url)) ? { ok: true, value: undefined } : { ok: false, why: `${this.url}/readyz not 200` };
      },
      { timeoutMs: READY_TIMEOUT_MS, what: 'fusion /readyz' },
    ).catch((err: Error) => {
      if (!proc.running) throw err;
      throw new Error(`${err.message}\n--- fusion log ---\n${proc.tail(30)}`);
    });
  }

  async kill9(): Promise<void> {
    await this.proc?.kill9();
  }

  /** SIGTERM with a grace period; `forced` tells whether SIGKILL was needed. */
  async stop(): Promise<{ forced: boolean; code: number | null }> {
    if (!this.proc) return { forced: false, code: null };
    const r = await this.proc.stop();
    return { forced: r.forced, code: r.code };
  }

  cli(args: string[]): Promise<RunResult> {
    return runToCompletion(FUSION_BIN, [...args, '--home', this.home], { env: { FUSTOR_HOME: undefined } });
  }
}

export interface AgentOptions {
  agentId: string;
  pipes: Omit<AgentPipeInput, 'endpoint' | 'credential'>[];
  writeSettleMs?: number;
  spoolMaxMb?: number;
  homeName?: string;
}

/** An agent in the foreground with its own home and console port. */
export class AgentNode {
  readonly home: string;
  readonly consoleUrl: string;
  proc: ManagedProcess | null = null;

  private constructor(
    readonly world: World,
    readonly fusion: FusionNode,
    readonly name: string,
    home: string,
    readonly consolePort: number,
    public options: AgentOptions,
  ) {
    this.home = home;
    this.consoleUrl = `http://127.0.0.1:${consolePort}`;
  }

  static async start(world: World, fusion: FusionNode, opts: AgentOptions): Promise<AgentNode> {
    const name = opts.homeName ?? `agent-${opts.agentId}`;
    const node = new AgentNode(world, fusion, name, world.dir(name), await freePort(), opts);
    node.writeConfig(opts);
    await node.restart();
    return node;
  }

  configDoc(opts: AgentOptions): Record<string, unknown> {
    return agentConfig({
      agentId: opts.agentId,
      consolePort: this.consolePort,
      writeSettleMs: opts.writeSettleMs,
      spoolMaxMb: opts.spoolMaxMb,
      pipes: opts.pipes.map((p) => ({ ...p, endpoint: this.fusion.url, credential: this.fusion.ingestKey })),
    });
  }

  writeConfig(opts: AgentOptions): void {
    this.options = opts;
    writeYaml(this.home, 'agent-config.yaml', this.configDoc(opts));
  }

  async restart(): Promise<void> {
    if (this.proc?.running) throw new Error(`${this.name} is still running`);
    const proc = this.world.spawn(this.name, AGENT_BIN, ['start', '--home', this.home]);
    this.proc = proc;
    await waitFor(
      async () => {
        if (!proc.running) throw new Error(`${this.name} exited early (${JSON.stringify(proc.exitInfo)}):\n${proc.tail(30)}`);
        const st = await this.statusOrNull();
        return st ? { ok: true, value: undefined } : { ok: false, why: `${this.consoleUrl}/api/status not 200` };
      },
      { timeoutMs: READY_TIMEOUT_MS, what: `${this.name} console /api/status` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- ${this.name} log ---\n${proc.tail(30)}`);
    });
  }

  /** Waits until the console shows pipe `pipeId` (default: the first) in a state `pred` accepts. */
  async waitForPipe(what: string, pred: (p: AgentStatus['pipes'][number]) => boolean, opts: { pipeId?: string; timeoutMs?: number } = {}): Promise<AgentStatus['pipes'][number]> {
    return waitFor(
      async () => {
        const st = await this.statusOrNull();
        const p = opts.pipeId ? st?.pipes.find((x) => x.id === opts.pipeId) : st?.pipes[0];
        return p && pred(p) ? { ok: true, value: p } : { ok: false, why: JSON.stringify(p ?? st) };
      },
      { timeoutMs: opts.timeoutMs ?? 15_000, what: `${this.name}: ${what}` },
    );
  }

  /** The console's JSON status, or null while it does not answer 200. */
  async statusOrNull(): Promise<AgentStatus | null> {
    try {
      const res = await fetch(`${this.consoleUrl}/api/status`, { signal: AbortSignal.timeout(2_000) });
      if (res.status !== 200) return null;
      const body = (await res.json()) as unknown;
      return unwrapStatus(body);
    } catch {
      return null;
    }
  }

  async kill9(): Promise<void> {
    await this.proc?.kill9();
  }

  /** SIGTERM with a grace period; `forced` tells whether SIGKILL was needed. */
  async stop(): Promise<{ forced: boolean; code: number | null }> {
    if (!this.proc) return { forced: false, code: null };
    const r = await this.proc.stop();
    return { forced: r.forced, code: r.code };
  }

  cli(args: string[]): Promise<RunResult> {
    return runToCompletion(AGENT_BIN, [...args, '--home', this.home], { env: { FUSTOR_HOME: undefined } });
  }
}

/** What the tests read from the agent console; the rest of the document is passed through untyped. */
export interface AgentStatus {
  pipes: { id: string; state?: string; role?: string | null; [k: string]: unknown }[];
  [k: string]: unknown;
}

// The console may answer the bare status or the Fusion-style envelope; accept both.
function unwrapStatus(body: unknown): AgentStatus | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as Record<string, unknown>;
  const inner = (b.data && typeof b.data === 'object' ? b.data : b) as Record<string, unknown>;
  const pipes = inner.pipes;
  if (Array.isArray(pipes)) return inner as AgentStatus;
  if (pipes && typeof pipes === 'object') {
    return { ...inner, pipes: Object.entries(pipes).map(([id, v]) => ({ id, ...(v as object) })) } as AgentStatus;
  }
  return { ...inner, pipes: [] } as AgentStatus;
}
