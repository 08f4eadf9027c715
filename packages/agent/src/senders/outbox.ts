// Per-session batch sequencer: one batch on the wire, batch_seq in order, realtime interleaved with scans.
//
// Realtime is drained from the RealtimeQueue (memory or spool) whenever the wire is free, so an idle
// pipe sends each event at once and a busy one coalesces up to batchMax events per batch. Scan
// batches come through ScanStream with a small look-ahead so the scanner builds the next batch
// while one is in flight.

import type { EventBatchResult, FileEvent, MessageSource } from '@fustor/protocol';
import { FusionError, isRetryable, SessionExpiredError } from '../errors.js';
import { abortableSleep, Backoff, isAbort, type BackoffOptions } from '../pipes/backoff.js';
import type { Lease, RealtimeQueue } from '../pipes/realtime-queue.js';
import type { Sender } from './types.js';

export type ScanSource = Exclude<MessageSource, 'realtime'>;

export interface OutboxHooks {
  /** Delivery health changed: false = sends are failing and realtime should go to the spool. */
  online(online: boolean): void;
  sent(source: MessageSource, events: number, result: EventBatchResult): void;
  rejected(source: MessageSource, events: number, err: FusionError): void;
  error(err: unknown, context: string): void;
}

export interface OutboxOptions {
  sender: Sender;
  sessionId: string;
  queue: RealtimeQueue;
  batchMax: number;
  hooks: OutboxHooks;
  backoff?: BackoffOptions;
  /** First batch_seq of a new session (Fusion's last_batch_seq starts at -1). */
  startSeq?: number;
  /** Scan batches queued ahead of the wire per stream. */
  lookAhead?: number;
}

interface ScanJob {
  source: ScanSource;
  events: FileEvent[];
  commandId: string | null;
  stream: ScanStream;
}

/** Result of one scan stream: complete=false when any of its batches was rejected. */
export interface ScanOutcome {
  complete: boolean;
  error: string | null;
}

/** Writer for one scan's batches; write() applies back-pressure, finish() waits for delivery. */
export class ScanStream {
  readonly #outbox: SessionOutbox;
  readonly source: ScanSource;
  readonly commandId: string | null;
  pending = 0;
  failure: Error | null = null;
  rejection: string | null = null;
  #waiters: Array<() => void> = [];

  constructor(outbox: SessionOutbox, source: ScanSource, commandId: string | null) {
    this.#outbox = outbox;
    this.source = source;
    this.commandId = commandId;
  }

  async write(events: FileEvent[]): Promise<void> {
    if (events.length === 0) return;
    while (this.pending >= this.#outbox.lookAhead && !this.failure) await this.#wait();
    if (this.failure) throw this.failure;
    this.pending++;
    this.#outbox.enqueue({ source: this.source, events, commandId: this.commandId, stream: this });
  }

  async finish(): Promise<ScanOutcome> {
    try {
      while (this.pending > 0 && !this.failure) await this.#wait();
      if (this.failure) throw this.failure;
      return { complete: this.rejection === null, error: this.rejection };
    } finally {
      this.#outbox.release(this);
    }
  }

  /** Ends the stream with an error (session closed): wakes every writer and finisher. */
  fail(err: Error): void {
    this.failure ??= err;
    this.settle();
  }

  settle(failure?: Error): void {
    this.pending = Math.max(0, this.pending - 1);
    if (failure && !this.failure) this.failure = failure;
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

export class SessionOutbox {
  readonly #o: OutboxOptions;
  readonly #backoff: Backoff;
  readonly lookAhead: number;
  #seq: number;
  /** Realtime batch bound; halved for the rest of the session when Fusion answers 413. */
  #batchMax: number;
  #scans: ScanJob[] = [];
  #lastWasRealtime = false;
  #online = true;
  #wake: (() => void) | null = null;
  #nudge: (() => void) | null = null;
  #closed: Error | null = null;
  /** Streams that may still wait for deliveries; failed together when the session closes. */
  #streams = new Set<ScanStream>();

  constructor(opts: OutboxOptions) {
    this.#o = opts;
    this.#seq = opts.startSeq ?? 0;
    this.#batchMax = opts.batchMax;
    this.lookAhead = opts.lookAhead ?? 2;
    this.#backoff = new Backoff(opts.backoff);
  }

  get nextSeq(): number {
    return this.#seq;
  }
  get online(): boolean {
    return this.#online;
  }

  stream(source: ScanSource, commandId: string | null = null): ScanStream {
    const s = new ScanStream(this, source, commandId);
    if (this.#closed) s.failure = this.#closed;
    else this.#streams.add(s);
    return s;
  }

  release(stream: ScanStream): void {
    this.#streams.delete(stream);
  }

  enqueue(job: ScanJob): void {
    if (this.#closed) {
      job.stream.settle(this.#closed);
      return;
    }
    this.#scans.push(job);
    this.#poke();
  }

  /** Delivers until the signal fires (resolves) or the session is gone (rejects with SessionExpiredError). */
  async run(signal: AbortSignal): Promise<void> {
    const onAbort = () => this.#poke();
    signal.addEventListener('abort', onAbort);
    this.#o.queue.setListener(() => this.#poke());
    try {
      while (!signal.aborted) {
        const job = this.#pick();
        if (!job) {
          await this.#idle(signal);
          continue;
        }
        await this.#deliver(job, signal);
      }
    } catch (err) {
      if (!isAbort(err)) {
        this.#close(err as Error);
        throw err;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#o.queue.setListener(null);
      this.#close(this.#closed ?? new Error('session closed'));
    }
  }

  #close(err: Error): void {
    this.#closed = err;
    this.#scans = [];
    const streams = this.#streams;
    this.#streams = new Set();
    for (const st of streams) st.fail(err);
  }

  #pick(): { lease: Lease } | { scan: ScanJob } | null {
    const preferScan = this.#lastWasRealtime && this.#scans.length > 0;
    if (!preferScan) {
      const lease = this.#o.queue.peek(this.#batchMax);
      if (lease) return { lease };
    }
    const scan = this.#scans.shift();
    if (scan) return { scan };
    const lease = this.#o.queue.peek(this.#batchMax);
    return lease ? { lease } : null;
  }

  /** Sleeps until realtime events or a scan batch arrive, or the session ends. */
  async #idle(signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.#o.queue.depth > 0 || this.#scans.length > 0) return;
    await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = null;
  }

  #poke(): void {
    this.#wake?.();
  }

  /** Another channel reached Fusion (heartbeat answered): retry a failing batch now instead of after the backoff. */
  nudge(): void {
    this.#nudge?.();
  }

  async #retrySleep(ms: number, signal: AbortSignal): Promise<void> {
    const local = new AbortController();
    this.#nudge = () => local.abort();
    try {
      await abortableSleep(ms, AbortSignal.any([signal, local.signal]));
    } catch (err) {
      if (signal.aborted) throw err;
    } finally {
      this.#nudge = null;
    }
  }

  #setOnline(online: boolean): void {
    if (this.#online === online) return;
    this.#online = online;
    this.#o.hooks.online(online);
  }

  async #deliver(job: { lease: Lease } | { scan: ScanJob }, signal: AbortSignal): Promise<void> {
    const source: MessageSource = 'lease' in job ? 'realtime' : job.scan.source;
    const events = 'lease' in job ? job.lease.events : job.scan.events;
    const commandId = 'scan' in job ? job.scan.commandId : null;
    this.#lastWasRealtime = source === 'realtime';
    let resyncs = 0;
    for (;;) {
      try {
        const result = await this.#o.sender.postEvents(
          this.#o.sessionId,
          { message_source: source, batch_seq: this.#seq, ...(commandId ? { command_id: commandId } : {}), events },
          signal,
        );
        this.#seq++;
        this.#backoff.reset();
        this.#setOnline(true);
        if ('lease' in job) this.#o.queue.commit(job.lease);
        else job.scan.stream.settle();
        this.#o.hooks.sent(source, events.length, result);
        return;
      } catch (err) {
        if (isAbort(err) || signal.aborted) throw err;
        if (err instanceof SessionExpiredError) {
          if ('scan' in job) job.scan.stream.settle(err);
          throw err;
        }
        if (err instanceof FusionError && err.code === 40901 && typeof err.details?.expected_seq === 'number' && resyncs < 3) {
          // Fusion tells us which number it expects (a lost answer, or a restart): resync and resend.
          resyncs++;
          this.#o.hooks.error(err, `batch_seq resync ${this.#seq} → ${err.details.expected_seq}`);
          this.#seq = err.details.expected_seq;
          continue;
        }
        if (err instanceof FusionError && err.code === 40302) {
          // Demoted: a follower may not send scans. The leader task is cancelled by the role change.
          if ('scan' in job) job.scan.stream.settle(err);
          return;
        }
        if (err instanceof FusionError && err.code === 41301 && events.length > 1) {
          // Body over Fusion's max_body_mb: split instead of dropping (the number is not consumed).
          const half = Math.ceil(events.length / 2);
          this.#o.hooks.error(err, `batch of ${events.length} events too large; splitting`);
          if ('lease' in job) this.#batchMax = Math.max(1, Math.min(this.#batchMax, half));
          else {
            const { scan } = job;
            // One queued job became two: the stream now waits for one more delivery.
            scan.stream.pending++;
            this.#scans.unshift({ ...scan, events: events.slice(0, half) }, { ...scan, events: events.slice(half) });
          }
          return;
        }
        if (err instanceof FusionError && !isRetryable(err)) {
          // A rejected batch consumes no number: log it, drop it, reuse the number.
          this.#o.hooks.rejected(source, events.length, err);
          if ('lease' in job) this.#o.queue.commit(job.lease);
          else {
            job.scan.stream.rejection ??= err.message;
            job.scan.stream.settle();
          }
          return;
        }
        this.#setOnline(false);
        this.#o.hooks.error(err, `sending ${source} batch ${this.#seq}`);
        await this.#retrySleep(this.#backoff.next(), signal);
      }
    }
  }
}
