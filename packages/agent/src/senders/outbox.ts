// Per-session batch sequencer: one batch on the wire, batch_seq in order, realtime interleaved with scans.
//
// Realtime is drained from the RealtimeQueue (memory or spool) whenever the wire is free, so an idle
// pipe sends each event at once and a busy one coalesces up to batchMax events per batch. Scan
// chunks come through ScanStream and are encoded as they are written (scan-jobs.ts: MessagePack
// listings when the session negotiated them, else JSON), so the next body is ready the moment Fusion
// answers; the chunks queued when the wire frees are merged into one batch of up to scanBatchMax
// events. The scanner runs ahead of the wire by up to lookAheadBytes of listings (lookAheadEvents
// of JSON), so the walk goes on while a batch is on the wire.

import type { EventBatchResult, FileEvent, Listing, MessageSource, PackedRows, ScanEncoding } from '@fustor/protocol';
import type { ScanChunk } from '@fustor/source-fs';
import { FusionError, isRetryable, SessionExpiredError } from '../errors.js';
import { abortableSleep, Backoff, isAbort, type BackoffOptions } from '../common/backoff.js';
import type { Lease, RealtimeQueue } from '../spool/realtime-queue.js';
import { encodeChunk } from './encode.js';
import { jobEvents, jobJson, splitJob, type JobEncoding, type ScanJob } from './scan-jobs.js';
import { ScanStream, type ScanSource, type StreamHost } from './scan-stream.js';
import type { Sender } from './types.js';

export { ScanStream, type ScanOutcome, type ScanSource } from './scan-stream.js';

export interface OutboxHooks {
  /** Delivery health changed: false = sends are failing and realtime should go to the spool. */
  online(online: boolean): void;
  sent(source: MessageSource, events: number, result: EventBatchResult): void;
  rejected(source: MessageSource, events: number, err: FusionError): void;
  error(err: unknown, context: string): void;
  /** Sees every batch of events before it goes out (cheap: it runs on the send path). */
  observe?(events: readonly FileEvent[]): void;
  /** Sees every scan chunk sent as listings (instead of observe). */
  observeListings?(listings: readonly Listing[], packed?: ReadonlyMap<Listing, PackedRows>): void;
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
  /** Most events of one scan batch on the wire (queued chunks are merged up to it); default batchMax. */
  scanBatchMax?: number;
  /** Scan events per stream queued or in flight before write() waits (JSON); default 2 × scanBatchMax. */
  lookAheadEvents?: number;
  /** Encoded listing bytes per stream queued or in flight before write() waits; default 16 MiB. */
  lookAheadBytes?: number;
  /** The scan encoding Fusion chose at session creation (absent: JSON). */
  scanEncoding?: ScanEncoding;
}

/** About 450,000 files of listings at ~36 bytes each: the walk is rarely held back by one batch on the wire. */
const DEFAULT_LOOK_AHEAD_BYTES = 16 * 1024 * 1024;

/** What goes on the wire next: a realtime lease, or one or more merged chunks of one scan stream. */
type Job = { lease: Lease } | { scans: ScanJob[] };

export class SessionOutbox implements StreamHost {
  readonly #o: OutboxOptions;
  readonly #backoff: Backoff;
  readonly lookAheadEvents: number;
  readonly lookAheadBytes: number;
  /** How scan chunks are encoded as they are written (listings, JSON, or kept as objects for a plain sender). */
  readonly jobEncoding: JobEncoding;
  #seq: number;
  /** Realtime batch bound; halved for the rest of the session when Fusion answers 413. */
  #batchMax: number;
  /** Scan batch bound (merged chunks); halved for the rest of the session when Fusion answers 413. */
  #scanBatchMax: number;
  #scans: ScanJob[] = [];
  /** Chunks still to be sent one per batch after a merged batch was rejected (isolates the bad one). */
  #unmerged = 0;
  #lastWasRealtime = false;
  #online = true;
  #wake: (() => void) | null = null;
  #nudge: (() => void) | null = null;
  #closed: Error | null = null;
  #delivering = false;
  /** Streams that may still wait for deliveries; failed together when the session closes. */
  #streams = new Set<ScanStream>();

  constructor(opts: OutboxOptions) {
    this.#o = opts;
    this.#seq = opts.startSeq ?? 0;
    this.#batchMax = opts.batchMax;
    this.#scanBatchMax = Math.max(1, opts.scanBatchMax ?? opts.batchMax);
    this.lookAheadEvents = opts.lookAheadEvents ?? 2 * this.#scanBatchMax;
    this.lookAheadBytes = opts.lookAheadBytes ?? DEFAULT_LOOK_AHEAD_BYTES;
    const s = opts.sender;
    this.jobEncoding = opts.scanEncoding === 'listings+msgpack' && typeof s.postListings === 'function'
      ? 'listings'
      : typeof s.postEncoded === 'function' ? 'json' : 'objects';
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

  /** Shows an outgoing scan chunk to the observe hooks. */
  observe(chunk: ScanChunk): void {
    const h = this.#o.hooks;
    if (chunk.listings !== null && h.observeListings) h.observeListings(chunk.listings, chunk.packed);
    else if (chunk.events !== undefined) h.observe?.(chunk.events);
    else if (h.observe) h.observe(jobEvents({ chunk } as ScanJob));
  }

  release(stream: ScanStream): void {
    this.#streams.delete(stream);
  }

  enqueue(job: ScanJob): void {
    if (this.#closed) {
      job.stream.settle(job, this.#closed);
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
        this.#delivering = true;
        try {
          await this.#deliver(job, signal);
        } finally {
          this.#delivering = false;
        }
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
    this.#unmerged = 0;
    const streams = this.#streams;
    this.#streams = new Set();
    for (const st of streams) st.fail(err);
  }

  #pick(): Job | null {
    const preferScan = this.#lastWasRealtime && this.#scans.length > 0;
    if (!preferScan) {
      const lease = this.#o.queue.peek(this.#batchMax);
      if (lease) return { lease };
    }
    if (this.#scans.length > 0) return { scans: this.#takeScans() };
    const lease = this.#o.queue.peek(this.#batchMax);
    return lease ? { lease } : null;
  }

  /** The head scan chunk plus the following chunks of the same stream that fit in one batch. */
  #takeScans(): ScanJob[] {
    const first = this.#scans[0]!;
    let n = first.count;
    let k = 1;
    if (this.#unmerged > 0) {
      this.#unmerged--;
      return this.#scans.splice(0, 1);
    }
    while (k < this.#scans.length) {
      const next = this.#scans[k]!;
      if (next.stream !== first.stream || next.encoding !== first.encoding || n + next.count > this.#scanBatchMax) break;
      n += next.count;
      k++;
    }
    return this.#scans.splice(0, k);
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

  /**
   * Another channel reached Fusion (heartbeat answered): retry a failing batch now instead of after the
   * backoff; with nothing to deliver, Fusion is reachable again, so realtime may stay in memory.
   */
  nudge(): void {
    if (this.#nudge) this.#nudge();
    else if (!this.#delivering) this.#setOnline(true);
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
    try {
      this.#o.hooks.online(online);
    } catch (err) {
      // A hook (spilling to a full disk, say) must never end the session's delivery loop.
      this.#o.hooks.error(err, online ? 'outbox online hook' : 'outbox offline hook');
    }
  }

  #post(job: Job, source: MessageSource, commandId: string | null, count: number, chunks: () => Buffer[], signal: AbortSignal): Promise<EventBatchResult> {
    const head = { message_source: source, batch_seq: this.#seq, ...(commandId ? { command_id: commandId } : {}) };
    const sender = this.#o.sender;
    const sid = this.#o.sessionId;
    if ('scans' in job && job.scans[0]!.encoding === 'listings') {
      const listings = job.scans.reduce((n, j) => n + j.listings, 0);
      return sender.postListings!(sid, head as Parameters<NonNullable<Sender['postListings']>>[1], job.scans.map((j) => j.bytes!), listings, signal);
    }
    if (this.jobEncoding !== 'objects') return sender.postEncoded!(sid, { ...head, chunks: chunks(), count }, signal);
    const events = 'lease' in job ? job.lease.events : job.scans.flatMap(jobEvents);
    return sender.postEvents(sid, { ...head, events }, signal);
  }

  async #deliver(job: Job, signal: AbortSignal): Promise<void> {
    const lease = 'lease' in job ? job.lease : null;
    const scans = 'scans' in job ? job.scans : [];
    const source: MessageSource = lease ? 'realtime' : scans[0]!.source;
    const commandId = lease ? null : scans[0]!.commandId;
    const count = lease ? lease.events.length : scans.reduce((n, j) => n + j.count, 0);
    const settleScans = (failure?: Error) => {
      for (const j of scans) j.stream.settle(j, failure);
    };
    // Encoded once, kept across retries; scan chunks were encoded when they were written.
    let encoded: Buffer[] | null = null;
    const chunks = () => (encoded ??= lease ? [encodeChunk(lease.events)] : scans.map(jobJson));
    if (lease) this.#o.hooks.observe?.(lease.events);
    this.#lastWasRealtime = lease !== null;
    let resyncs = 0;
    for (;;) {
      try {
        const result = await this.#post(job, source, commandId, count, chunks, signal);
        this.#seq++;
        this.#backoff.reset();
        this.#setOnline(true);
        if (lease) this.#o.queue.commit(lease);
        else settleScans();
        this.#o.hooks.sent(source, count, result);
        return;
      } catch (err) {
        if (isAbort(err) || signal.aborted) throw err;
        if (err instanceof SessionExpiredError) {
          settleScans(err);
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
          settleScans(err);
          return;
        }
        if (err instanceof FusionError && err.code === 41301 && count > 1) {
          // Body over Fusion's max_body_mb: split instead of dropping (the number is not consumed).
          const half = Math.ceil(count / 2);
          this.#o.hooks.error(err, `batch of ${count} events too large; splitting`);
          if (lease) this.#batchMax = Math.max(1, Math.min(this.#batchMax, half));
          else {
            this.#scanBatchMax = Math.max(1, Math.min(this.#scanBatchMax, half));
            if (scans.length > 1) this.#scans.unshift(...scans);
            else {
              const j = scans[0]!;
              const halves = splitJob(j);
              // One queued chunk became two: the stream now waits for one more delivery.
              j.stream.split(j, halves);
              this.#scans.unshift(...halves);
            }
          }
          return;
        }
        if (err instanceof FusionError && !isRetryable(err) && scans.length > 1) {
          // Merging must not widen a rejection: resend the chunks one per batch so only the chunk
          // holding the bad event is dropped, as before merging (the number is not consumed).
          this.#o.hooks.error(err, `merged ${source} batch of ${count} events rejected; resending its ${scans.length} chunks one by one`);
          this.#scans.unshift(...scans);
          this.#unmerged = scans.length;
          return;
        }
        if (err instanceof FusionError && !isRetryable(err)) {
          // A rejected batch consumes no number: log it, drop it, reuse the number.
          this.#o.hooks.rejected(source, count, err);
          if (lease) this.#o.queue.commit(lease);
          else {
            for (const j of scans) j.stream.rejection ??= err.message;
            settleScans();
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
