// Per-session command queue: each command is delivered once, by the heartbeat or the long poll, whichever asks first.

import type { Command } from '@fustor/protocol';

type Waiter = () => void;

export class CommandQueue {
  #pending: Command[] = [];
  readonly #waiters = new Set<Waiter>();

  /** Open long polls (tests wait on this instead of sleeping). */
  get waiting(): number {
    return this.#waiters.size;
  }
  get size(): number {
    return this.#pending.length;
  }
  push(cmd: Command): void {
    this.#pending.push(cmd);
    this.wake();
  }
  /** Takes every pending command (they will not be delivered again). */
  drain(): Command[] {
    const out = this.#pending;
    this.#pending = [];
    return out;
  }
  /** Resolves when a command arrives, the session's role changes, or the session ends. */
  onWake(fn: Waiter): () => void {
    this.#waiters.add(fn);
    return () => this.#waiters.delete(fn);
  }
  wake(): void {
    const ws = [...this.#waiters];
    this.#waiters.clear();
    for (const w of ws) w();
  }
}
