// The writer side of one scan (snapshot, audit, on-demand walk): chunks go in encoded, with back-pressure bounded look-ahead.

import type { MessageSource, UpsertEvent } from '@fustor/protocol';
import type { ScanChunk } from '@fustor/source-fs';
import { makeJob, type JobEncoding, type ScanJob } from './scan-jobs.js';

export type ScanSource = Exclude<MessageSource, 'realtime'>;

/** What a stream needs of its outbox. */
export interface StreamHost {
  readonly jobEncoding: JobEncoding;
  /** Events queued or in flight before write() waits (JSON and object chunks). */
  readonly lookAheadEvents: number;
  /** Encoded bytes queued or in flight before write() waits (listing chunks: a byte bound holds far more files). */
  readonly lookAheadBytes: number;
  observe(chunk: ScanChunk): void;
  enqueue(job: ScanJob): void;
  release(stream: ScanStream): void;
}

/** Result of one scan stream: complete=false when any of its batches was rejected. */
export interface ScanOutcome {
  complete: boolean;
  error: string | null;
}

/** Writer for one scan's batches; write() applies back-pressure, finish() waits for delivery. */
export class ScanStream {
  readonly #host: StreamHost;
  readonly source: ScanSource;
  readonly commandId: string | null;
  /** Chunks written and not yet settled (delivered, rejected or failed). */
  pending = 0;
  /** Events and encoded bytes of those chunks: the back-pressure measures. */
  pendingEvents = 0;
  pendingBytes = 0;
  failure: Error | null = null;
  rejection: string | null = null;
  #waiters: Array<() => void> = [];

  constructor(host: StreamHost, source: ScanSource, commandId: string | null) {
    this.#host = host;
    this.source = source;
    this.commandId = commandId;
  }

  /** Queues one chunk (a source's ScanChunk, or upsert events); waits while the look-ahead is full. */
  async write(batch: ScanChunk | readonly UpsertEvent[]): Promise<void> {
    const chunk: ScanChunk = isChunk(batch) ? batch : { listings: null, events: [...batch], count: batch.length };
    if (chunk.count === 0) return;
    if (this.failure) throw this.failure;
    const h = this.#host;
    h.observe(chunk);
    // Encoded before waiting: the chunk's arrays are garbage at once, and its size is known for the bound.
    const job = makeJob(this, chunk, h.jobEncoding);
    const full = (): boolean =>
      job.encoding === 'listings'
        ? this.pendingBytes + job.size > h.lookAheadBytes
        : this.pendingEvents + job.count > h.lookAheadEvents;
    while (this.pending > 0 && full() && !this.failure) await this.#wait();
    if (this.failure) throw this.failure;
    this.pending++;
    this.pendingEvents += job.count;
    this.pendingBytes += job.size;
    h.enqueue(job);
  }

  async finish(): Promise<ScanOutcome> {
    try {
      while (this.pending > 0 && !this.failure) await this.#wait();
      if (this.failure) throw this.failure;
      return { complete: this.rejection === null, error: this.rejection };
    } finally {
      this.#host.release(this);
    }
  }

  /** Ends the stream with an error (session closed): wakes every writer and finisher. */
  fail(err: Error): void {
    this.failure ??= err;
    this.#wakeAll();
  }

  /** One job is done with (delivered, rejected, or failed with `failure`). */
  settle(job: Pick<ScanJob, 'count' | 'size'>, failure?: Error): void {
    this.pending = Math.max(0, this.pending - 1);
    this.pendingEvents = Math.max(0, this.pendingEvents - job.count);
    this.pendingBytes = Math.max(0, this.pendingBytes - job.size);
    if (failure && !this.failure) this.failure = failure;
    this.#wakeAll();
  }

  /** A queued job was replaced by two halves (413): one more delivery to wait for, and their sizes instead of its. */
  split(from: ScanJob, into: readonly [ScanJob, ScanJob]): void {
    this.pending++;
    this.pendingBytes += into[0].size + into[1].size - from.size;
  }

  #wakeAll(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

function isChunk(b: ScanChunk | readonly UpsertEvent[]): b is ScanChunk {
  return !Array.isArray(b);
}
