// Commands from Fusion (heartbeat answer or long poll): on-demand scans and resnapshot, each answered once.

import type { Command, ScanCommand } from '@fustor/protocol';
import type { FsSource } from '@fustor/source-fs';
import type { Logger } from '@fustor/protocol';
import { SessionExpiredError } from '../errors.js';
import type { SessionOutbox } from '../senders/outbox.js';
import type { Sender } from '../senders/types.js';

/** What a command needs of the session it arrived on. */
export interface CommandSession {
  id: string;
  outbox: SessionOutbox;
  signal: AbortSignal;
  expired(): void;
}

export interface CommandDeps {
  source: FsSource;
  sender: Sender;
  log: Logger;
  error(err: unknown, context: string): void;
  /** `resnapshot`: the view was reset; the leader must snapshot again. */
  requestResnapshot(): void;
}

/** Runs each command id once per session; tasks run beside the leader loop (answered even mid-audit). */
export class CommandRunner {
  readonly #d: CommandDeps;
  readonly #s: CommandSession;
  readonly #seen = new Set<string>();
  readonly tasks = new Set<Promise<unknown>>();

  constructor(deps: CommandDeps, session: CommandSession) {
    this.#d = deps;
    this.#s = session;
  }

  handle(commands: readonly Command[]): void {
    for (const cmd of commands) {
      if (!cmd || typeof cmd.id !== 'string' || this.#seen.has(cmd.id)) continue;
      this.#seen.add(cmd.id);
      this.#d.log.info('command received', { command_id: cmd.id, type: cmd.type });
      let task: Promise<unknown>;
      if (cmd.type === 'scan') task = this.#scan(cmd);
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

  /** On-demand scan → on_demand batches carrying command_id → commands/{id}/done. */
  async #scan(cmd: ScanCommand): Promise<void> {
    const s = this.#s;
    let ok = true;
    let error: string | null = null;
    try {
      const stream = s.outbox.stream('on_demand', cmd.id);
      for await (const batch of this.#d.source.scanPath(cmd.path, { recursive: cmd.recursive ?? true, signal: s.signal })) {
        await stream.write(batch);
      }
      const out = await stream.finish();
      if (!out.complete) {
        ok = false;
        error = out.error;
      }
    } catch (err) {
      if (err instanceof SessionExpiredError) return s.expired();
      if (s.signal.aborted) return;
      ok = false;
      error = err instanceof Error ? err.message : String(err);
      this.#d.error(err, `on-demand scan of ${cmd.path}`);
    }
    await this.#done(cmd.id, ok, error);
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
