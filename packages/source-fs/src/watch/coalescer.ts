// Coalesces realtime events: the first after a quiet spell goes out on the next loop turn, later ones
// at most coalesceMs after the previous delivery; repeated upserts of one path keep only the latest.

import type { FileEvent } from '@fustor/protocol';

export class Coalescer {
  #windowMs: number;
  #deliver: (events: FileEvent[]) => void;
  /** Upserts keyed by path (re-inserted to move to the end), deletes under unique keys. */
  #buf = new Map<string, FileEvent>();
  #seq = 0;
  #scheduled: NodeJS.Timeout | NodeJS.Immediate | null = null;
  #lastFlush = -Infinity;

  constructor(windowMs: number, deliver: (events: FileEvent[]) => void) {
    this.#windowMs = windowMs;
    this.#deliver = deliver;
  }

  push(ev: FileEvent): void {
    if (ev.op === 'upsert') {
      // Moving the latest upsert after everything else is safe: it states the path's current truth.
      this.#buf.delete(ev.path);
      this.#buf.set(ev.path, ev);
    } else {
      this.#buf.set('\0' + this.#seq++, ev);
    }
    this.#schedule();
  }

  flush(): void {
    if (this.#scheduled) {
      clearTimeout(this.#scheduled as NodeJS.Timeout);
      clearImmediate(this.#scheduled as NodeJS.Immediate);
      this.#scheduled = null;
    }
    if (this.#buf.size === 0) return;
    const events = [...this.#buf.values()];
    this.#buf.clear();
    this.#lastFlush = performance.now();
    this.#deliver(events);
  }

  close(): void {
    this.flush();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    const wait = this.#lastFlush + this.#windowMs - performance.now();
    this.#scheduled = wait <= 0 ? setImmediate(() => this.#fire()) : setTimeout(() => this.#fire(), wait);
  }

  #fire(): void {
    this.#scheduled = null;
    this.flush();
  }
}
