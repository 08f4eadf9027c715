// An agent in the foreground for e2e tests: own home and console port, config rewritable for reloads.

import { agentConfig, writeYaml, type AgentPipeInput } from './configs.js';
import type { FusionNode } from './fusion-node.js';
import { AGENT_BIN } from './paths.js';
import { freePort } from './ports.js';
import { runToCompletion, type ManagedProcess, type RunResult } from './process.js';
import { READY_TIMEOUT_MS, notYet, waitFor } from './wait.js';
import type { World } from './world.js';

export interface AgentOptions {
  agentId: string;
  pipes: Omit<AgentPipeInput, 'endpoint' | 'credential'>[];
  writeSettleMs?: number;
  spoolMaxMb?: number;
  homeName?: string;
  /** Every node of a Fusion cluster (default: the one Fusion's URL). */
  endpoints?: string[];
  /** Extra environment of the agent process (e.g. FUSTOR_TEST_CLOCK_OFFSET_MS). */
  env?: Record<string, string>;
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
      pipes: opts.pipes.map((p) => ({ ...p, endpoint: opts.endpoints ?? this.fusion.url, credential: this.fusion.ingestKey })),
    });
  }

  writeConfig(opts: AgentOptions): void {
    this.options = opts;
    writeYaml(this.home, 'agent-config.yaml', this.configDoc(opts));
  }

  async restart(): Promise<void> {
    if (this.proc?.running) throw new Error(`${this.name} is still running`);
    const proc = this.world.spawn(this.name, AGENT_BIN, ['start', '--home', this.home], this.options.env);
    this.proc = proc;
    await waitFor(
      async () => {
        if (!proc.running) throw new Error(`${this.name} exited early (${JSON.stringify(proc.exitInfo)}):\n${proc.tail(30)}`);
        const st = await this.statusOrNull();
        return st ? true : notYet(`${this.consoleUrl}/api/status not 200`);
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
        return p && pred(p) ? p : notYet(JSON.stringify(p ?? st));
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
