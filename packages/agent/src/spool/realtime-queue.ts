// Ordered realtime backlog: in memory while Fusion keeps up, spilled to the durable spool when it does not.
//
// Invariant: at most one of (spool, memory) holds events. While the spool is non-empty every new
// event is appended to it, so the head of the queue is always the oldest undelivered event.
// Losing events (spool bound hit, or the disk refused a write) drops the whole backlog — the pipe
// then re-snapshots, which covers it — and never throws into the caller (a watcher, or the outbox
// going offline): a thrown spool error once killed the session's outbox for good.

import type { FileEvent } from '@fustor/protocol';
import { SpoolWriteError } from '../errors.js';
import type { Spool } from './spool.js';

export interface Lease {
  events: FileEvent[];
  generation: number;
}

/** Why queued events were dropped: the spool bound was hit, or the file system refused a write. */
export interface SpoolLoss {
  reason: 'overflow' | 'write_failed';
  lostEvents: number;
  /** For write_failed: the error (errno, fix). */
  error: SpoolWriteError | null;
  /** For write_failed: true for the first failure after the spool last wrote successfully. */
  first: boolean;
}

export interface RealtimeQueueOptions {
  spool: Spool;
  /** Events kept in memory before spilling to disk even while online. */
  memoryLimit?: number;
  /** Called when everything queued was dropped; the pipe must re-snapshot. */
  onLoss: (loss: SpoolLoss) => void;
  /** Called when the spool writes again after failed writes. */
  onWritable?: () => void;
}

export class RealtimeQueue {
  readonly #spool: Spool;
  readonly #memoryLimit: number;
  readonly #onLoss: (loss: SpoolLoss) => void;
  readonly #onWritable: () => void;
  #memory: FileEvent[] = [];
  /** Bumped whenever queued events are dropped, so commits of leases taken before are ignored. */
  #generation = 0;
  #listener: (() => void) | null = null;
  #writeFailing = false;

  constructor(opts: RealtimeQueueOptions) {
    this.#spool = opts.spool;
    this.#memoryLimit = opts.memoryLimit ?? 20_000;
    this.#onLoss = opts.onLoss;
    this.#onWritable = opts.onWritable ?? (() => undefined);
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
  /** True while the last spool write failed (until one succeeds). */
  get spoolFailing(): boolean {
    return this.#writeFailing;
  }

  /**
   * While spool writes are failing, checks whether a write works again (space freed) even though no
   * event needed the spool since; called on the heartbeat's rhythm so the status does not stay stale.
   */
  recheckSpool(): void {
    if (!this.#writeFailing || !this.#spool.probeWritable()) return;
    this.#writeFailing = false;
    this.#onWritable();
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
    let written: boolean;
    try {
      written = this.#spool.append(events);
    } catch (err) {
      const error = err instanceof SpoolWriteError ? err : new SpoolWriteError(this.#spool.dir, 'EUNKNOWN', err);
      const first = !this.#writeFailing;
      this.#writeFailing = true;
      this.#drop(events, { reason: 'write_failed', error, first });
      return;
    }
    if (!written) {
      this.#drop(events, { reason: 'overflow', error: null, first: false });
      return;
    }
    if (this.#writeFailing) {
      this.#writeFailing = false;
      this.#onWritable();
    }
  }

  #drop(events: readonly FileEvent[], why: Omit<SpoolLoss, 'lostEvents'>): void {
    // The spool's own events go too: order past a gap is moot once a re-snapshot is owed, and on a
    // full disk this frees the space the next write needs.
    const lostEvents = this.#spool.drop() + this.#memory.length + events.length;
    this.#memory = [];
    this.#generation++;
    this.#onLoss({ ...why, lostEvents });
  }

  #wake(): void {
    this.#listener?.();
  }
}
