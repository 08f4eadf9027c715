// Ordered realtime backlog: in memory while Fusion keeps up, spilled to the durable spool when it does not.
//
// Invariant: at most one of (spool, memory) holds events. While the spool is non-empty every new
// event is appended to it, so the head of the queue is always the oldest undelivered event.

import type { FileEvent } from '@fustor/protocol';
import type { Spool } from '../spool/spool.js';

export interface Lease {
  events: FileEvent[];
  generation: number;
}

export interface RealtimeQueueOptions {
  spool: Spool;
  /** Events kept in memory before spilling to disk even while online. */
  memoryLimit?: number;
  /** Called when the spool bound was hit and everything queued was dropped. */
  onOverflow: (lostEvents: number) => void;
}

export class RealtimeQueue {
  readonly #spool: Spool;
  readonly #memoryLimit: number;
  readonly #onOverflow: (lost: number) => void;
  #memory: FileEvent[] = [];
  /** Bumped on overflow so commits of leases taken before it are ignored. */
  #generation = 0;
  #listener: (() => void) | null = null;

  constructor(opts: RealtimeQueueOptions) {
    this.#spool = opts.spool;
    this.#memoryLimit = opts.memoryLimit ?? 20_000;
    this.#onOverflow = opts.onOverflow;
  }

  get depth(): number {
    return this.#memory.length + this.#spool.events;
  }
  get spooledEvents(): number {
    return this.#spool.events;
  }
  get spooledBytes(): number {
    return this.#spool.bytes;
  }

  /** Adds events in observation order; `online=false` writes them straight to disk. */
  push(events: readonly FileEvent[], online: boolean): void {
    if (events.length === 0) return;
    if (!online || this.#spool.events > 0) {
      this.#toSpool(events);
    } else {
      for (const e of events) this.#memory.push(e);
      if (this.#memory.length > this.#memoryLimit) this.spill();
    }
    this.#wake();
  }

  /** Moves the in-memory backlog to disk (going offline, stopping, or memory bound reached). */
  spill(): void {
    if (this.#memory.length === 0) return;
    const mem = this.#memory;
    this.#memory = [];
    this.#toSpool(mem);
  }

  /** Up to n events from the head, kept queued until commit(). */
  peek(n: number): Lease | null {
    const events = this.#spool.events > 0 ? this.#spool.peek(n) : this.#memory.slice(0, n);
    return events.length > 0 ? { events, generation: this.#generation } : null;
  }

  /** Removes a delivered (or rejected) lease from the head. */
  commit(lease: Lease): void {
    if (lease.generation !== this.#generation) return;
    if (this.#spool.events > 0) this.#spool.commit(lease.events.length, this.#spool.generation);
    else this.#memory.splice(0, lease.events.length);
  }

  /** One listener (the session outbox) is told whenever events are queued. */
  setListener(fn: (() => void) | null): void {
    this.#listener = fn;
  }

  #toSpool(events: readonly FileEvent[]): void {
    if (this.#spool.append(events)) return;
    const lost = this.#spool.drop() + this.#memory.length + events.length;
    this.#memory = [];
    this.#generation++;
    this.#onOverflow(lost);
  }

  #wake(): void {
    this.#listener?.();
  }
}
