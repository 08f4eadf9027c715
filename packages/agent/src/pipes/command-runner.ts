// Commands from Fusion (heartbeat answer or long poll): on-demand scans through the pipe's scan queue,
// and `resnapshot`; each command id is answered once, after the events that answer it were sent.

import type { Command, Logger, SessionRole } from '@fustor/protocol';
import type { FsSource } from '@fustor/source-fs';
import { abortableSleep, Backoff, isAbort, type BackoffOptions } from '../common/backoff.js';
import { SessionExpiredError, TransportError } from '../errors.js';
import type { SessionOutbox } from '../senders/outbox.js';
import type { Sender } from '../senders/types.js';
import type { ScanQueue, ScanResult, ScanRunner, WalkDone } from './scan-queue.js';

/** What a command needs of the session it arrived on. */
export interface CommandSession {
  id: string;
  outbox: SessionOutbox;
  signal: AbortSignal;
  expired(): void;
  /** A role learned from the long-poll answer. */
  setRole(role: SessionRole | undefined): void;
}

export interface CommandDeps {
  source: FsSource;
  sender: Sender;
  scans: ScanQueue;
  log: Logger;
  backoff?: BackoffOptions;
  error(err: unknown, context: string): void;
  /** `resnapshot`: the view was reset; the leader must snapshot again. */
  requestResnapshot(): void;
}

/** Runs each command id once per session; scans run beside the leader loop (answered even mid-audit). */
export class CommandRunner implements ScanRunner {
  readonly #d: CommandDeps;
  readonly #s: CommandSession;
  readonly #seen = new Set<string>();
  readonly tasks = new Set<Promise<unknown>>();

  constructor(deps: CommandDeps, session: CommandSession) {
    this.#d = deps;
    this.#s = session;
  }

  get signal(): AbortSignal {
    return this.#s.signal;
  }

  handle(commands: readonly Command[]): void {
    for (const cmd of commands) {
      if (!cmd || typeof cmd.id !== 'string' || this.#seen.has(cmd.id)) continue;
      this.#seen.add(cmd.id);
      this.#d.log.info('command received', { command_id: cmd.id, type: cmd.type });
      let task: Promise<unknown>;
      if (cmd.type === 'scan') task = this.#d.scans.submit({ id: cmd.id, path: cmd.path, recursive: cmd.recursive ?? true }, this);
      else if (cmd.type === 'resnapshot') {
        this.#d.requestResnapshot();
        task = this.#done(cmd.id, true, null);
      } else {
        task = this.#done((cmd as { id: string }).id, false, `unsupported command type '${(cmd as { type: string }).type}'`);
      }
      this.tasks.add(task);
      void task.finally(() => this.tasks.delete(task));
    }
  }

  /** The long poll: one request parked on Fusion at a time, so a command arrives without waiting for a heartbeat. */
  async poll(waitMs: number): Promise<void> {
    const s = this.#s;
    const bo = new Backoff(this.#d.backoff);
    while (!s.signal.aborted) {
      const t0 = Date.now();
      try {
        const res = await this.#d.sender.commands(s.id, waitMs, s.signal);
        if (s.signal.aborted) return;
        bo.reset();
        s.setRole(res?.role);
        const cmds = res?.commands ?? [];
        this.handle(cmds);
        // A server that answers at once with nothing (no long-poll support) must not make us spin.
        if (cmds.length === 0 && Date.now() - t0 < 50) await abortableSleep(1000, s.signal);
      } catch (err) {
        if (s.signal.aborted || isAbort(err)) return;
        if (err instanceof SessionExpiredError) return s.expired();
        if (!(err instanceof TransportError)) this.#d.error(err, 'commands long-poll');
        await abortableSleep(bo.next(), s.signal).catch(() => undefined);
      }
    }
  }

  /**
   * ScanRunner: one on-demand walk → on_demand batches carrying command_id. Resolves when the walk has
   * produced everything (its look-ahead bounds what is still queued); `delivered` when Fusion took it all.
   */
  async walk(path: string, recursive: boolean, commandId: string): Promise<WalkDone> {
    const s = this.#s;
    const failed = (err: unknown): ScanResult | null => {
      if (err instanceof SessionExpiredError) {
        s.expired();
        return null;
      }
      if (s.signal.aborted) return null;
      this.#d.error(err, `on-demand scan of ${path}`);
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    };
    const stream = s.outbox.stream('on_demand', commandId);
    try {
      for await (const batch of this.#d.source.scanListings({ kind: 'on_demand', path, recursive }, { signal: s.signal })) {
        await stream.write(batch);
      }
    } catch (err) {
      // Wait for what was already written, so the answer still comes after those batches.
      return { delivered: stream.finish().then(() => failed(err), () => failed(err)) };
    }
    const delivered = stream.finish().then(
      (out): ScanResult => (out.complete ? { ok: true, error: null } : { ok: false, error: out.error }),
      failed,
    );
    return { delivered };
  }

  /** ScanRunner: commands/{id}/done for every command the walk answers. */
  async answer(ids: readonly string[], result: ScanResult): Promise<void> {
    for (const id of ids) await this.#done(id, result.ok, result.error);
  }

  async #done(commandId: string, ok: boolean, error: string | null): Promise<void> {
    const s = this.#s;
    try {
      await this.#d.sender.commandDone(s.id, commandId, ok, error, s.signal);
    } catch (err) {
      if (err instanceof SessionExpiredError) return s.expired();
      if (!s.signal.aborted) this.#d.error(err, `commands/${commandId}/done`);
    }
  }
}
