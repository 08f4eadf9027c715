// Subscriptions as a whole: CRUD, matching each commit's entries (inside its transaction), the stable detector and the delivery worker.

import { randomBytes } from 'node:crypto';
import type { CreateSubscriptionRequest, DeliveryBody, DeliveryInfo, SubscriptionInfo } from '@fustor/protocol';
import { pageOf, type Page } from '@fustor/protocol';
import type { CommittedChanges } from '../changes/committed.js';
import type { CommitListener, CommitTx, DeliveryRow, NewDelivery, SubscriptionRow, ViewEngine, ViewStore } from '../contract.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { compileGlob } from '../tree/glob.js';
import { toEntry } from '../feed/entry.js';
import { hostAllowed } from './allowed-hosts.js';
import { DeliveryWorker, type AttemptResult } from './delivery-worker.js';
import { SubscriptionIndex, type SubtreeHit } from './matcher.js';
import { StableDetector, type PendingKey } from './stable-detector.js';

export interface SubscriptionServiceOptions {
  store: ViewStore;
  allowedHosts(): readonly string[];
  timeoutMs: number;
  concurrency: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  outcome(kind: 'delivered' | 'retry' | 'failed'): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;
/** Children examined when a `child` subscription is created (to arm the ones still being written). */
const CHILD_PAGE = 1000;

export class SubscriptionService implements CommitListener {
  readonly #o: SubscriptionServiceOptions;
  readonly #subs = new Map<string, SubscriptionRow>();
  readonly #index = new Map<string, SubscriptionIndex>();
  readonly #detector: StableDetector;
  readonly #worker: DeliveryWorker;
  /** What a commit's transaction recorded, for the after-commit step (detector, worker). */
  readonly #staged = new WeakMap<CommittedChanges, { subtrees: SubtreeHit[]; enqueued: boolean }>();

  constructor(o: SubscriptionServiceOptions) {
    this.#o = o;
    this.#detector = new StableDetector({
      view: (id) => o.store.view(id),
      stable: (p, stats) => this.#enqueueStable(p, stats),
      gone: (p) => void o.store.subscriptions.dropPending(p.sub.id, p.key).catch((err: unknown) => o.log('warn', 'could not drop a pending subtree', { error: String(err) })),
      log: o.log,
    });
    this.#worker = new DeliveryWorker({
      store: o.store.subscriptions,
      subscription: (id) => this.#subs.get(id),
      active: () => [...this.#subs.values()].filter((x) => o.store.view(x.view) !== undefined).map((x) => x.id),
      allowedHosts: o.allowedHosts,
      timeoutMs: o.timeoutMs,
      concurrency: o.concurrency,
      ...(o.retryBaseMs !== undefined ? { baseDelayMs: o.retryBaseMs } : {}),
      ...(o.retryMaxMs !== undefined ? { maxDelayMs: o.retryMaxMs } : {}),
      outcome: o.outcome,
      log: o.log,
    });
  }

  /** Loads subscriptions and the pending subtrees of served views (a restart resumes where it stopped) and starts sending. */
  async start(): Promise<void> {
    for (const s of await this.#o.store.subscriptions.all()) {
      try {
        this.#add(s);
      } catch (err) {
        // a pattern stored before search globs became strict (docs/api.md, "Search patterns")
        this.#o.log('error', 'subscription not loaded: its pattern is not supported; delete and re-create it', { subscription: s.id, view: s.view, error: (err as Error).message });
      }
    }
    await this.#armPending(() => true);
    this.#worker.poke();
  }

  /** A view started being served here (cluster takeover): its subscriptions may have changed meanwhile. */
  async attachView(view: string): Promise<void> {
    for (const s of await this.#o.store.subscriptions.all()) if (s.view === view && !this.#subs.has(s.id)) this.#add(s);
    await this.#armPending((sub) => sub.view === view);
    this.#worker.poke();
  }

  /** The view moved away: its pending subtrees are the new owner's. */
  detachView(view: string): void {
    this.#detector.forgetView(view);
  }

  async #armPending(which: (s: SubscriptionRow) => boolean): Promise<void> {
    for (const p of await this.#o.store.subscriptions.pending()) {
      const sub = this.#subs.get(p.sub_id);
      if (sub && which(sub) && this.#o.store.view(sub.view)) this.#detector.touch({ sub, key: p.path, cursor: p.cursor });
    }
  }

  async stop(): Promise<void> {
    this.#detector.stop();
    await this.#worker.stop();
  }

  #add(s: SubscriptionRow): void {
    this.#subs.set(s.id, s);
    let ix = this.#index.get(s.view);
    if (!ix) this.#index.set(s.view, (ix = new SubscriptionIndex()));
    ix.add(s);
  }

  // ---- commit hooks ---------------------------------------------------------------------------

  inTransaction(view: ViewEngine, changes: CommittedChanges, tx: CommitTx): void {
    const ix = this.#index.get(view.id);
    if (!ix || ix.size === 0) return;
    const { files, subtrees } = ix.match(changes);
    for (const h of subtrees) tx.addPending(h.sub.id, h.key, h.cursor);
    for (const f of files) {
      const rec = changes.record(f.index);
      const body: Omit<DeliveryBody, 'delivered_at_ms'> = {
        subscription: f.sub.id, view: view.id, event: f.event, path: rec.path, node: toEntry(rec, view.labels), cursor: rec.cursor,
      };
      tx.enqueueDelivery(this.#delivery(f.sub, f.event, rec.path, body));
    }
    if (subtrees.length > 0 || files.length > 0) this.#staged.set(changes, { subtrees, enqueued: files.length > 0 });
  }

  committed(_view: ViewEngine, changes: CommittedChanges): void {
    const staged = this.#staged.get(changes);
    if (!staged) return;
    for (const h of staged.subtrees) this.#detector.touch({ sub: h.sub, key: h.key, cursor: h.cursor });
    if (staged.enqueued) this.#worker.poke();
  }

  #delivery(sub: SubscriptionRow, event: string, path: string, body: Omit<DeliveryBody, 'delivered_at_ms'>): NewDelivery {
    const now = Date.now();
    return { id: newId('dlv'), sub_id: sub.id, event, path, payload: JSON.stringify(body), next_at: now, created_at: now, expires_at: now + sub.retry_hours * 3_600_000 };
  }

  async #enqueueStable(p: PendingKey, stats: NonNullable<ReturnType<ViewEngine['stats']>>): Promise<void> {
    const d = this.#delivery(p.sub, 'stable', p.key, { subscription: p.sub.id, view: p.sub.view, event: 'stable', path: p.key, stats, cursor: p.cursor });
    await this.#o.store.subscriptions.enqueueSettled(d, { subId: p.sub.id, path: p.key });
    this.#worker.poke();
  }

  // ---- CRUD -----------------------------------------------------------------------------------

  async create(view: ViewEngine, req: CreateSubscriptionRequest): Promise<SubscriptionInfo> {
    const url = new URL(req.url);
    if (!hostAllowed(url, this.#o.allowedHosts())) {
      throw new ValidationError('url', `host '${url.hostname}' is not in webhooks.allowed_hosts (${this.#o.allowedHosts().join(', ')}); add it to fusion-config.yaml and reload`);
    }
    // an unsupported pattern is refused here (400 naming it), before anything is stored
    if (req.pattern) compileGlob(req.pattern);
    const row: SubscriptionRow = {
      id: newId('sub'), view: view.id, name: req.name, path: req.path, pattern: req.pattern ?? null, on: [...new Set(req.on)],
      granularity: req.granularity, url: req.url, secret: req.secret, retry_hours: req.retry_hours, created_at: Date.now(),
    };
    await this.#o.store.subscriptions.insert(row);
    this.#add(row);
    if (row.on.includes('stable')) await this.#armExisting(view, row);
    return this.info(row);
  }

  /**
   * A folder already stable when the subscription is made did not "become" stable: nothing is sent for it.
   * One still being written is armed now, so its last write is not missed.
   */
  async #armExisting(view: ViewEngine, sub: SubscriptionRow): Promise<void> {
    const cursor = view.feedBounds().latest;
    const keys: string[] = [];
    const arm = (key: string) => {
      const st = view.stats(key);
      if (st && !st.stable) keys.push(key);
    };
    if (sub.granularity === 'path') arm(sub.path);
    else this.#children(view, sub.path, arm);
    // Recorded durably like a change would be, so a restart before they settle still reports them.
    if (keys.length > 0) await this.#o.store.subscriptions.addPendingKeys(sub.id, keys, cursor);
    for (const key of keys) this.#detector.touch({ sub, key, cursor });
  }

  #children(view: ViewEngine, path: string, each: (p: string) => void): void {
    for (let page = 1; ; page++) {
      const node = view.tree(path, { depth: 1, page, page_size: CHILD_PAGE, sort_by: 'name', sort_order: 'asc', only_path: true });
      for (const c of node?.children?.items ?? []) each(c.path);
      if (!node?.children || page >= node.children.pages) break;
    }
  }

  #get(view: string, id: string): SubscriptionRow {
    const s = this.#subs.get(id);
    if (!s || s.view !== view) throw new NotFoundError(`subscription '${id}' not found in view '${view}'`);
    return s;
  }

  async info(s: SubscriptionRow): Promise<SubscriptionInfo> {
    const repo = this.#o.store.subscriptions;
    return {
      id: s.id, view: s.view, name: s.name, path: s.path, pattern: s.pattern, on: s.on, granularity: s.granularity, url: s.url,
      retry_hours: s.retry_hours, created_at_ms: s.created_at,
      pending_subtrees: await repo.pendingSubtrees(s.id), pending_deliveries: await repo.pendingDeliveries([s.id]),
    };
  }

  async list(view: string, page: number, pageSize: number): Promise<Page<SubscriptionInfo>> {
    const all = [...this.#subs.values()].filter((s) => s.view === view);
    const items = await Promise.all(all.slice((page - 1) * pageSize, page * pageSize).map((s) => this.info(s)));
    return pageOf(items, all.length, page, pageSize);
  }

  get(view: string, id: string): Promise<SubscriptionInfo> {
    return this.info(this.#get(view, id));
  }

  async delete(view: string, id: string): Promise<void> {
    this.#get(view, id);
    await this.#o.store.subscriptions.delete(id);
    this.#subs.delete(id);
    this.#index.get(view)?.remove(id);
    this.#detector.forgetSubscription(id);
  }

  async deliveries(view: string, id: string, page: number, pageSize: number): Promise<Page<DeliveryInfo>> {
    this.#get(view, id);
    const { items, total } = await this.#o.store.subscriptions.recent(id, pageSize, (page - 1) * pageSize);
    return pageOf(items.map(deliveryInfo), total, page, pageSize);
  }

  /** Sends a `test` delivery now and answers how it went (recorded like any delivery, never retried). */
  async test(view: string, id: string): Promise<{ delivery: DeliveryInfo; result: AttemptResult }> {
    const sub = this.#get(view, id);
    const body: Omit<DeliveryBody, 'delivered_at_ms'> = { subscription: sub.id, view, event: 'test', path: sub.path, cursor: 0 };
    const now = Date.now();
    const did = newId('dlv');
    const row: DeliveryRow = {
      id: did, sub_id: sub.id, event: 'test', path: sub.path, payload: JSON.stringify(body), status: 'pending', attempts: 0, next_at: Number.MAX_SAFE_INTEGER,
      created_at: now, expires_at: now, last_status: null, last_error: null, done_at: null,
    };
    const repo = this.#o.store.subscriptions;
    await repo.enqueueSettled(row, null);
    const result = await this.#worker.attempt(sub, row);
    const done: DeliveryRow = { ...row, status: result.ok ? 'delivered' : 'failed', attempts: 1, last_status: result.status_code, last_error: result.error, done_at: Date.now() };
    await repo.recordAttempt(done, { delivery_id: did, at: now, status_code: result.status_code, error: result.error, duration_ms: result.duration_ms });
    return { delivery: deliveryInfo(done), result };
  }

  /** For metrics: as of the worker's last look at the queue. */
  pendingDeliveries(): number {
    return this.#worker.pendingCount;
  }

  get pendingSubtrees(): number {
    return this.#detector.size;
  }
}

function deliveryInfo(d: DeliveryRow): DeliveryInfo {
  return {
    id: d.id, event: d.event as DeliveryInfo['event'], path: d.path, status: d.status, attempts: d.attempts, created_at_ms: d.created_at,
    next_attempt_at_ms: d.status === 'pending' ? d.next_at : null, last_status_code: d.last_status, last_error: d.last_error, done_at_ms: d.done_at,
  };
}
