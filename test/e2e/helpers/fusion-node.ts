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
        hotFileThresholdSec: opts.hotFileThresholdSec,
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
        return (await isReady(this.url)) ? true : notYet(`${this.url}/readyz not 200`);
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

