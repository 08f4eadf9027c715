// The agent supervisor: starts one Pipe per enabled pipe, applies reloads by diffing pipe specs.

import { join } from 'node:path';
import type { Logger } from '@fustor/protocol';
import { createFsSource, type FsSource, type FsSourceOptions } from '@fustor/source-fs';
import { pipeSpecs, specFingerprint } from './config/load.js';
import type { PipeSpec, ResolvedConfig } from './config/types.js';
import type { BackoffOptions } from './common/backoff.js';
import { Pipe, AGENT_VERSION } from './pipes/pipe.js';
import type { PipeStatus } from './pipes/status.js';
import { FusionSender } from './senders/fusion-sender.js';
import type { Sender } from './senders/types.js';

export interface AgentDeps {
  log: Logger;
  createSource?: (opts: FsSourceOptions) => FsSource;
  createSender?: (spec: PipeSpec) => Sender;
  backoff?: BackoffOptions;
  commandWaitMs?: number;
}

export interface ReloadResult {
  added: string[];
  removed: string[];
  restarted: string[];
  unchanged: string[];
}

export interface AgentStatus {
  agent_id: string;
  version: string;
  pid: number;
  started_at_ms: number;
  uptime_ms: number;
  config_file: string;
  home: string;
  reload: { generation: number; at_ms: number | null; result: ReloadResult | null; error: string | null };
  pipes: PipeStatus[];
}

export function defaultSender(spec: PipeSpec): Sender {
  return new FusionSender({
    endpoint: spec.sender.config.endpoint,
    credential: spec.sender.config.credential,
    timeoutMs: spec.sender.config.timeout_ms,
    userAgent: `fustor-agent/${AGENT_VERSION}`,
  });
}

export class Agent {
  readonly #d: AgentDeps;
  readonly #startedAt = Date.now();
  #config: ResolvedConfig;
  #pipes = new Map<string, { pipe: Pipe; fingerprint: string }>();
  #reload: AgentStatus['reload'] = { generation: 0, at_ms: null, result: null, error: null };

  constructor(config: ResolvedConfig, deps: AgentDeps) {
    this.#config = config;
    this.#d = deps;
  }

  get config(): ResolvedConfig {
    return this.#config;
  }

  start(): void {
    const specs = pipeSpecs(this.#config);
    for (const [id, spec] of specs) this.#startPipe(id, spec);
    const disabled = this.#config.pipes.filter((p) => !p.enabled).map((p) => p.id);
    this.#d.log.info('agent started', { agent_id: this.#config.agent_id, pipes: [...specs.keys()], disabled });
  }

  #startPipe(id: string, spec: PipeSpec): void {
    const pipe = new Pipe(spec, {
      createSource: this.#d.createSource ?? createFsSource,
      createSender: this.#d.createSender ?? defaultSender,
      stateDir: join(this.#config.home, 'agent-state'),
      log: this.#d.log,
      backoff: this.#d.backoff,
      commandWaitMs: this.#d.commandWaitMs,
    });
    this.#pipes.set(id, { pipe, fingerprint: specFingerprint(spec) });
    pipe.start();
  }

  /** Applies a new, already validated config: added/removed/changed pipes only; others keep running. */
  async reload(next: ResolvedConfig): Promise<ReloadResult> {
    const specs = pipeSpecs(next);
    const result: ReloadResult = { added: [], removed: [], restarted: [], unchanged: [] };
    const stops: Promise<void>[] = [];
    const toStart: Array<[string, PipeSpec]> = [];
    for (const [id, entry] of this.#pipes) {
      const spec = specs.get(id);
      if (!spec) {
        result.removed.push(id);
        stops.push(entry.pipe.stop());
        this.#pipes.delete(id);
      } else if (specFingerprint(spec) !== entry.fingerprint) {
        result.restarted.push(id);
        stops.push(entry.pipe.stop());
        this.#pipes.delete(id);
        toStart.push([id, spec]);
      } else {
        result.unchanged.push(id);
      }
    }
    for (const [id, spec] of specs) if (!this.#pipes.has(id) && !toStart.some(([t]) => t === id)) {
      result.added.push(id);
      toStart.push([id, spec]);
    }
    // A restarted pipe reuses its spool directory, so the old one must be fully stopped first.
    await Promise.all(stops);
    this.#config = next;
    this.#d.log.setLevel(next.logging.level);
    const failed: string[] = [];
    for (const [id, spec] of toStart) {
      try {
        this.#startPipe(id, spec);
      } catch (err) {
        failed.push(`${id}: ${(err as Error).message}`);
      }
    }
    const error = failed.length > 0 ? `pipes that could not start: ${failed.join('; ')}` : null;
    if (error) this.#d.log.error('reload: some pipes could not start', { error });
    this.#reload = { generation: this.#reload.generation + 1, at_ms: Date.now(), result, error };
    this.#d.log.info('configuration reloaded', { ...result });
    return result;
  }

  /** Records a reload that was refused (broken file): the running config stays. */
  reloadFailed(message: string): void {
    this.#reload = { generation: this.#reload.generation + 1, at_ms: Date.now(), result: null, error: message };
    this.#d.log.error('reload rejected; keeping the running configuration', { error: message });
  }

  pipe(id: string): Pipe | undefined {
    return this.#pipes.get(id)?.pipe;
  }

  status(): AgentStatus {
    return {
      agent_id: this.#config.agent_id,
      version: AGENT_VERSION,
      pid: process.pid,
      started_at_ms: this.#startedAt,
      uptime_ms: Date.now() - this.#startedAt,
      config_file: this.#config.file,
      home: this.#config.home,
      reload: this.#reload,
      pipes: [...this.#pipes.values()].map((e) => e.pipe.status()),
    };
  }

  async stop(flushDeadlineMs = 5000): Promise<void> {
    const all = [...this.#pipes.values()].map((e) => e.pipe.stop(flushDeadlineMs));
    await Promise.allSettled(all);
    this.#pipes.clear();
  }
}
