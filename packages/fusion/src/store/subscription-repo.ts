// Subscriptions, their pending subtrees and the durable delivery queue in fusion.db (consumers.md §5).

import type Database from 'better-sqlite3';
import type { SubscriptionEvent } from '@fustor/protocol';
import type { AttemptRow, CommitTx, DeliveryRow, NewDelivery, SubscriptionRow, SubscriptionStore } from '../contract.js';

/** Attempts kept per subscription for GET .../deliveries. */
const KEEP_ATTEMPTS = 1000;

/** Synchronous (better-sqlite3): the pending and enqueue writes run inside a batch's transaction. */
export class SubscriptionRepo implements SubscriptionStore, CommitTx {
  readonly #db: Database.Database;
  readonly #s: Record<string, Database.Statement>;

  constructor(db: Database.Database) {
    this.#db = db;
    const p = (sql: string) => db.prepare(sql);
    this.#s = {
      all: p(`SELECT * FROM subscriptions ORDER BY created_at, id`),
      ins: p(`INSERT INTO subscriptions (id, view, name, path, pattern, on_events, granularity, url, secret, retry_hours, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`),
      del: p(`DELETE FROM subscriptions WHERE id = ?`),
      delPending: p(`DELETE FROM sub_pending WHERE sub_id = ?`),
      delDeliveries: p(`DELETE FROM deliveries WHERE sub_id = ?`),
      delAttempts: p(`DELETE FROM delivery_attempts WHERE sub_id = ?`),
      addPending: p(`INSERT INTO sub_pending (sub_id, path, cursor) VALUES (?,?,?) ON CONFLICT (sub_id, path) DO UPDATE SET cursor = excluded.cursor`),
      dropPending: p(`DELETE FROM sub_pending WHERE sub_id = ? AND path = ?`),
      allPending: p(`SELECT sub_id, path, cursor FROM sub_pending`),
      enqueue: p(`INSERT INTO deliveries (id, sub_id, event, path, payload, status, attempts, next_at, created_at, expires_at) VALUES (?,?,?,?,?,'pending',0,?,?,?)`),
      due: p(`SELECT * FROM deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?`),
      nextDue: p(`SELECT min(next_at) FROM deliveries WHERE status = 'pending'`).pluck(),
      get: p(`SELECT * FROM deliveries WHERE id = ?`),
      settle: p(`UPDATE deliveries SET status = ?, attempts = ?, next_at = ?, last_status = ?, last_error = ?, done_at = ? WHERE id = ?`),
      attempt: p(`INSERT INTO delivery_attempts (delivery_id, sub_id, at, status_code, error, duration_ms) VALUES (?,?,?,?,?,?)`),
      trimAttempts: p(
        `DELETE FROM delivery_attempts WHERE sub_id = ? AND at < coalesce((SELECT at FROM delivery_attempts WHERE sub_id = ? ORDER BY at DESC LIMIT 1 OFFSET ${KEEP_ATTEMPTS}), -1)`,
      ),
      recent: p(`SELECT * FROM deliveries WHERE sub_id = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?`),
      countRecent: p(`SELECT count(*) FROM deliveries WHERE sub_id = ?`).pluck(),
      pendingOf: p(`SELECT count(*) FROM deliveries WHERE sub_id = ? AND status = 'pending'`).pluck(),
      pendingAll: p(`SELECT count(*) FROM deliveries WHERE status = 'pending'`).pluck(),
      subtreesOf: p(`SELECT count(*) FROM sub_pending WHERE sub_id = ?`).pluck(),
      attemptsOf: p(`SELECT delivery_id, at, status_code, error, duration_ms FROM delivery_attempts WHERE delivery_id = ? ORDER BY at`),
    };
  }

  all(): SubscriptionRow[] {
    return (this.#s.all!.all() as Array<Omit<SubscriptionRow, 'on'> & { on_events: string }>).map(({ on_events, ...r }) => ({
      ...r,
      on: JSON.parse(on_events) as SubscriptionEvent[],
    }));
  }

  insert(r: SubscriptionRow): void {
    this.#s.ins!.run(r.id, r.view, r.name, r.path, r.pattern, JSON.stringify(r.on), r.granularity, r.url, r.secret, r.retry_hours, r.created_at);
  }

  /** Removes the subscription with everything queued for it. */
  delete(id: string): boolean {
    let found = false;
    this.#db.transaction(() => {
      found = this.#s.del!.run(id).changes > 0;
      this.#s.delPending!.run(id);
      this.#s.delDeliveries!.run(id);
      this.#s.delAttempts!.run(id);
    })();
    return found;
  }

  addPending(subId: string, path: string, cursor: number): void {
    this.#s.addPending!.run(subId, path, cursor);
  }

  dropPending(subId: string, path: string): void {
    this.#s.dropPending!.run(subId, path);
  }

  pending(): Array<{ sub_id: string; path: string; cursor: number }> {
    return this.#s.allPending!.all() as Array<{ sub_id: string; path: string; cursor: number }>;
  }

  enqueueDelivery(d: NewDelivery): void {
    this.enqueue(d);
  }

  enqueue(d: NewDelivery): void {
    this.#s.enqueue!.run(d.id, d.sub_id, d.event, d.path, d.payload, d.next_at, d.created_at, d.expires_at);
  }

  due(now: number, limit: number): DeliveryRow[] {
    return this.#s.due!.all(now, limit) as DeliveryRow[];
  }

  nextDue(): number | null {
    return (this.#s.nextDue!.get() as number | null) ?? null;
  }

  get(id: string): DeliveryRow | undefined {
    return this.#s.get!.get(id) as DeliveryRow | undefined;
  }

  /** Records one attempt and the delivery's new state together. */
  recordAttempt(d: DeliveryRow, a: AttemptRow): void {
    this.#db.transaction(() => {
      this.#s.settle!.run(d.status, d.attempts, d.next_at, d.last_status, d.last_error, d.done_at, d.id);
      this.#s.attempt!.run(a.delivery_id, d.sub_id, a.at, a.status_code, a.error, a.duration_ms);
      if (d.attempts % 64 === 1) this.#s.trimAttempts!.run(d.sub_id, d.sub_id);
    })();
  }

  recent(subId: string, limit: number, offset: number): { items: DeliveryRow[]; total: number } {
    return { items: this.#s.recent!.all(subId, limit, offset) as DeliveryRow[], total: this.#s.countRecent!.get(subId) as number };
  }

  attemptsOf(deliveryId: string): AttemptRow[] {
    return this.#s.attemptsOf!.all(deliveryId) as AttemptRow[];
  }

  pendingDeliveries(subId?: string): number {
    return (subId === undefined ? this.#s.pendingAll!.get() : this.#s.pendingOf!.get(subId)) as number;
  }

  atomically(fn: () => void): void {
    this.#db.transaction(fn)();
  }

  pendingSubtrees(subId: string): number {
    return this.#s.subtreesOf!.get(subId) as number;
  }
}
