// Leader-only work of one session: snapshot once (and on demand), periodic audit, sentinel sweeps.
// Runs under a leader-scoped AbortSignal that is fired on demotion, session end or stop.

import type { FsSource } from '@fustor/source-fs';
import { SessionExpiredError } from '../errors.js';
import type { ScanSource, SessionOutbox } from '../senders/outbox.js';
import type { Sender } from '../senders/types.js';
import { Backoff, isAbort, type BackoffOptions } from '../common/backoff.js';
import type { PipePhase } from './status.js';

export interface LeaderContext {
  source: FsSource;
  sender: Sender;
  sessionId: string;
  outbox: SessionOutbox;
  signal: AbortSignal;
  auditIntervalMs: number;
  sentinelIntervalMs: number;
  backoff?: BackoffOptions;
  /** True when this session still owes a snapshot (first leadership, resnapshot, spool overflow). */
  snapshotOwed(): boolean;
  /** True once after events were lost (spool overflow): audit right after the snapshot, since only an audit finds deletions. */
  takeImmediateAudit(): boolean;
  setPhase(phase: PipePhase): void;
  /** `done` is false when the scan itself failed (retry it); complete=false with done=true means batches were rejected. */
  scanFinished(kind: 'snapshot' | 'audit', complete: boolean, done: boolean): void;
  error(err: unknown, context: string): void;
  sessionExpired(err: SessionExpiredError): void;
}

export class LeaderDuties {
  readonly #c: LeaderContext;
  readonly #retry: Backoff;
  #kick: (() => void) | null = null;
  #nextAudit = Infinity;
  #nextSentinel = Infinity;

  constructor(ctx: LeaderContext) {
    this.#c = ctx;
    this.#retry = new Backoff(ctx.backoff);
  }

  /** Wakes the loop early (a resnapshot was requested). */
  kick(): void {
    this.#kick?.();
  }

  async run(): Promise<void> {
    const c = this.#c;
    const now = Date.now();
    this.#nextAudit = c.auditIntervalMs > 0 ? now + c.auditIntervalMs : Infinity;
    this.#nextSentinel = c.sentinelIntervalMs > 0 ? now + c.sentinelIntervalMs : Infinity;
    let snapshotRetryAt = 0;
    while (!c.signal.aborted) {
      try {
        if (c.snapshotOwed() && Date.now() >= snapshotRetryAt) {
          const ok = await this.#scan('snapshot');
          if (ok) {
            this.#retry.reset();
            // The first periodic audit runs one audit_interval after the snapshot finished.
            if (c.auditIntervalMs > 0) this.#nextAudit = Date.now() + c.auditIntervalMs;
            if (!c.snapshotOwed() && c.takeImmediateAudit()) this.#nextAudit = Date.now();
          } else {
            snapshotRetryAt = Date.now() + this.#retry.next();
          }
          continue;
        }
        if (Date.now() >= this.#nextAudit) {
          await this.#scan('audit');
          this.#nextAudit = c.auditIntervalMs > 0 ? Date.now() + c.auditIntervalMs : Infinity;
          continue;
        }
        if (Date.now() >= this.#nextSentinel) {
          await this.#sentinel();
          this.#nextSentinel = Date.now() + c.sentinelIntervalMs;
          continue;
        }
        const wakeAt = Math.min(this.#nextAudit, this.#nextSentinel, c.snapshotOwed() ? snapshotRetryAt : Infinity);
        await this.#sleepUntil(wakeAt);
      } catch (err) {
        if (isAbort(err) || c.signal.aborted) return;
        if (err instanceof SessionExpiredError) {
          c.sessionExpired(err);
          return;
        }
        c.error(err, 'leader duties');
        await this.#sleepUntil(Date.now() + this.#retry.next()).catch(() => undefined);
      }
    }
  }

  /** One snapshot or audit: phase start, batches in order, phase end (complete:false after any failure). */
  async #scan(kind: 'snapshot' | 'audit'): Promise<boolean> {
    const c = this.#c;
    c.setPhase(kind);
    let complete = false;
    let started = false;
    let threw = false;
    try {
      // A snapshot's walk starts while Fusion records the phase: its batches are written only once the
      // start is acknowledged (they must follow it), and the round trip no longer precedes the first
      // listing. Not an audit's: its walk records listed directories in the audit cache, and those of a
      // first chunk that was never sent would be skipped by the next audit.
      const starting = c.sender.phase(c.sessionId, kind, 'start', true, c.signal);
      if (kind === 'audit') await starting;
      // Packed rows only when they go out as MessagePack listings (else they would be decoded again).
      const iter = c.source.scanListings({ kind }, { signal: c.signal, packedRows: c.outbox.jobEncoding === 'listings' })[Symbol.asyncIterator]();
      const first = iter.next();
      first.catch(() => undefined); // awaited below, unless the phase start fails first
      let walked = false;
      let stream: ReturnType<typeof c.outbox.stream>;
      try {
        await starting;
        started = true;
        stream = c.outbox.stream(kind as ScanSource);
        for (let r = await first; !r.done; r = await iter.next()) {
          await stream.write(r.value);
        }
        walked = true;
      } finally {
        // As a for-await would: a walk left early is closed (after its pending listing, if any).
        if (!walked) await iter.return?.(undefined).catch(() => undefined);
      }
      const outcome = await stream.finish();
      complete = outcome.complete;
      if (!complete) c.error(new Error(outcome.error ?? 'a batch was rejected'), `${kind} incomplete`);
    } catch (err) {
      if (err instanceof SessionExpiredError) throw err;
      if (!isAbort(err) && !c.signal.aborted) c.error(err, `${kind} failed`);
      complete = false;
      threw = true;
    } finally {
      c.setPhase('idle');
    }
    // After an abort (demotion, session end, stop) the end signal would be refused or is moot.
    if (started && !c.signal.aborted) {
      try {
        await c.sender.phase(c.sessionId, kind, 'end', complete);
      } catch (err) {
        if (err instanceof SessionExpiredError) throw err;
        if (!c.signal.aborted) c.error(err, `${kind}/end`);
        complete = false;
        threw = true;
      }
    }
    if (c.signal.aborted) return false;
    const done = started && !threw;
    c.scanFinished(kind, complete, done);
    return done;
  }

  async #sentinel(): Promise<void> {
    const c = this.#c;
    c.setPhase('sentinel');
    try {
      const paths = await c.sender.sentinelTasks(c.sessionId, c.signal);
      if (paths.length === 0 || c.signal.aborted) return;
      const results = await c.source.sentinel(paths);
      if (c.signal.aborted) return;
      await c.sender.sentinelFeedback(c.sessionId, results, c.signal);
    } finally {
      c.setPhase('idle');
    }
  }

  #sleepUntil(at: number): Promise<void> {
    const c = this.#c;
    return new Promise((resolve, reject) => {
      if (c.signal.aborted) return reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      const ms = Math.max(0, Math.min(at - Date.now(), 2 ** 31 - 1));
      const done = () => {
        clearTimeout(timer);
        c.signal.removeEventListener('abort', done);
        this.#kick = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      c.signal.addEventListener('abort', done, { once: true });
      this.#kick = done;
    });
  }
}
