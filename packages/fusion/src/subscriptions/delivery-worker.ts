// Sends queued deliveries: signed POSTs, exponential capped jittered retries until retry_hours, every attempt recorded.

import PQueue from 'p-queue';
import { request } from 'undici';
import type { DeliveryRow, SubscriptionRow, SubscriptionStore } from '../contract.js';
import { hostAllowed } from './allowed-hosts.js';
import { sign } from './signer.js';

export interface WorkerOptions {
  store: SubscriptionStore;
  subscription(id: string): SubscriptionRow | undefined;
  /** Subscriptions whose deliveries this node sends (those of the views it serves). */
  active(): string[];
  allowedHosts(): readonly string[];
  timeoutMs: number;
  concurrency: number;
  /** First retry delay and the cap of the exponential backoff. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  outcome(kind: 'delivered' | 'retry' | 'failed'): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

export interface AttemptResult {
  ok: boolean;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** Equal jitter: half the exponential delay fixed, half random, so retries of many deliveries spread out. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, rand = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return exp / 2 + rand() * (exp / 2);
}

/**
 * The queue lives in the database: a delivery is sent at least once (a crash between the POST and the
 * record sends it again — receivers dedupe by X-Fustor-Delivery). One timer is armed for the earliest due
 * delivery; p-queue bounds how many POSTs are in flight.
 */
export class DeliveryWorker {
  readonly #o: WorkerOptions;
  readonly #queue: PQueue;
  readonly #inflight = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(o: WorkerOptions) {
    this.#o = o;
    this.#queue = new PQueue({ concurrency: o.concurrency });
  }

  /** Deliveries queued or waiting for a retry, as of the last look at the queue (metrics). */
  pendingCount = 0;
  #pumping = false;
  #again = false;

  /** Something was enqueued, or the worker starts: look at the queue now. */
  poke(): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#pump(), 0);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#queue.clear();
    await this.#queue.onIdle();
  }

  async #pump(): Promise<void> {
    this.#timer = null;
    if (this.#stopped) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      const subs = this.#o.active();
      const free = this.#o.concurrency * 4 - this.#queue.size - this.#queue.pending;
      if (free > 0) {
        for (const d of await this.#o.store.due(Date.now(), free + this.#inflight.size, subs)) {
          if (this.#inflight.has(d.id)) continue;
          this.#inflight.add(d.id);
          void this.#queue.add(() => this.#deliver(d)).finally(() => {
            this.#inflight.delete(d.id);
            this.poke();
          });
        }
      }
      this.pendingCount = await this.#o.store.pendingDeliveries(subs);
      const next = await this.#o.store.nextDue(subs);
      if (next !== null && this.#inflight.size === 0 && !this.#stopped) {
        this.#timer = setTimeout(() => void this.#pump(), Math.max(0, next - Date.now()));
        this.#timer.unref();
      }
    } catch (err) {
      // The store is unreachable (PostgreSQL restarting): look again shortly.
      this.#o.log('warn', 'could not read the webhook delivery queue; retrying', { error: String(err) });
      if (!this.#stopped) {
        this.#timer = setTimeout(() => void this.#pump(), 1000);
        this.#timer.unref();
      }
    } finally {
      this.#pumping = false;
      if (this.#again) {
        this.#again = false;
        this.poke();
      }
    }
  }

  async #deliver(d: DeliveryRow): Promise<void> {
    const sub = this.#o.subscription(d.sub_id);
    if (!sub) return; // deleted meanwhile: its rows went with it
    const r = await this.attempt(sub, d);
    const now = Date.now();
    const attempts = d.attempts + 1;
    let next: DeliveryRow;
    if (r.ok) {
      next = { ...d, status: 'delivered', attempts, last_status: r.status_code, last_error: null, done_at: now };
      this.#o.outcome('delivered');
    } else {
      const at = now + retryDelay(attempts, this.#o.baseDelayMs ?? 1000, this.#o.maxDelayMs ?? 15 * 60_000);
      const give = at > d.expires_at;
      next = { ...d, status: give ? 'failed' : 'pending', attempts, next_at: give ? d.next_at : at, last_status: r.status_code, last_error: r.error, done_at: give ? now : null };
      this.#o.outcome(give ? 'failed' : 'retry');
      this.#o.log(give ? 'warn' : 'debug', give ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry', {
        subscription: sub.id, delivery: d.id, status: r.status_code, error: r.error, attempts,
      });
    }
    await this.#o.store.recordAttempt(next, { delivery_id: d.id, at: now, status_code: r.status_code, error: r.error, duration_ms: r.duration_ms });
  }

  /** One signed POST of the delivery (also used by the test route). Never throws. */
  async attempt(sub: SubscriptionRow, d: Pick<DeliveryRow, 'id' | 'payload'>): Promise<AttemptResult> {
    const t0 = performance.now();
    const done = (ok: boolean, status_code: number | null, error: string | null): AttemptResult => ({ ok, status_code, error, duration_ms: performance.now() - t0 });
    let url: URL;
    try {
      url = new URL(sub.url);
    } catch {
      return done(false, null, `invalid url ${sub.url}`);
    }
    if (!hostAllowed(url, this.#o.allowedHosts())) return done(false, null, `host '${url.hostname}' is not in webhooks.allowed_hosts`);
    const body = JSON.stringify({ ...(JSON.parse(d.payload) as object), delivered_at_ms: Date.now() });
    try {
      const res = await request(url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'fustor-fusion-webhooks',
          'x-fustor-delivery': d.id,
          'x-fustor-signature': sign(body, sub.secret),
        },
        headersTimeout: this.#o.timeoutMs,
        bodyTimeout: this.#o.timeoutMs,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      await res.body.dump();
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return done(ok, res.statusCode, ok ? null : `receiver answered ${res.statusCode}`);
    } catch (err) {
      return done(false, null, (err as Error).message || String(err));
    }
  }
}
