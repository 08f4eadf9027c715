// A Fusion server in the foreground for e2e tests: own home, generated keys, restartable on the same port.

import { fusionConfig, newKey, writeYaml } from './configs.js';
import { FusionClient, isReady } from './fusion-client.js';
import { FUSION_BIN } from './paths.js';
import { freePort } from './ports.js';
import { runToCompletion, type ManagedProcess, type RunResult } from './process.js';
import { READY_TIMEOUT_MS, notYet, waitFor } from './wait.js';
import type { World } from './world.js';

export interface FusionOptions {
  views?: string[];
  sessionTimeoutSec?: number;
  /** views[].hot_file_threshold_sec (the e2e default is 2). */
  hotFileThresholdSec?: number;
  /** A node of a PostgreSQL cluster; its nodes share keys (pass the first node's). */
  cluster?: { pgUrl: string; nodeId: string; leaseSec: number };
  keys?: { ingestKey: string; adminKey: string };
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

  readonly name: string;

  private constructor(readonly world: World, home: string, port: number, name: string, keys?: { ingestKey: string; adminKey: string }) {
    this.home = home;
    this.port = port;
    this.name = name;
    this.url = `http://127.0.0.1:${port}`;
    this.ingestKey = keys?.ingestKey ?? newKey('ingest');
    this.adminKey = keys?.adminKey ?? newKey('admin');
    this.client = new FusionClient(this.url, this.adminKey);
  }

  static async start(world: World, opts: FusionOptions = {}): Promise<FusionNode> {
    const name = opts.cluster ? `fusion-${opts.cluster.nodeId}` : 'fusion';
    const node = new FusionNode(world, world.dir(opts.cluster ? `${name}-home` : 'fusion-home'), await freePort(), name, opts.keys);
    const views = opts.views ?? ['research'];
    writeYaml(
      node.home,
      'fusion-config.yaml',
      fusionConfig({
        port: node.port,
        views,
        sessionTimeoutSec: opts.sessionTimeoutSec,
        hotFileThresholdSec: opts.hotFileThresholdSec,
        cluster: opts.cluster,
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
    const proc = this.world.spawn(this.name, FUSION_BIN, ['start', '--home', this.home]);
    this.proc = proc;
    await waitFor(
      async () => {
        if (!proc.running) throw new Error(`fusion exited early (${JSON.stringify(proc.exitInfo)}):\n${proc.tail(30)}`);
        return (await isReady(this.url)) ? true : notYet(`${this.url}/readyz not 200`);
      },
      { timeoutMs: READY_TIMEOUT_MS, what: 'fusion /readyz' },
    ).catch((err: Error) => {
      if (!proc.running) throw err;
      throw new Error(`${err.message}\n--- fusion log ---\n${proc.tail(30)}`);
    });
  }

  /** SIGSTOP / SIGCONT: a node that hangs (paused, swapped out, partitioned) and comes back. */
  signal(sig: 'SIGSTOP' | 'SIGCONT'): void {
    if (this.proc?.pid) process.kill(this.proc.pid, sig);
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

