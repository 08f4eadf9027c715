// Subscriptions, their pending subtrees and the durable delivery queue in fusion.db (consumers.md §5).

import type Database from 'better-sqlite3';
import type { SubscriptionEvent } from '@fustor/protocol';
import type { AttemptRow, CommitTx, DeliveryRow, NewDelivery, SubscriptionRow, SubscriptionStore } from '../contract.js';

/** Attempts kept per subscription for GET .../deliveries. */
const KEEP_ATTEMPTS = 1000;

/**
 * The SQLite statements are synchronous; the store interface is asynchronous (PostgreSQL), so answers are
 * wrapped in settled promises. addPending and enqueueDelivery are the CommitTx side: they run inside a
 * batch's open transaction.
 */
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
      settle: p(`UPDATE deliveries SET status = ?, attempts = ?, next_at = ?, last_status = ?, last_error = ?, done_at = ? WHERE id = ?`),
      attempt: p(`INSERT INTO delivery_attempts (delivery_id, sub_id, at, status_code, error, duration_ms) VALUES (?,?,?,?,?,?)`),
      trimAttempts: p(
        `DELETE FROM delivery_attempts WHERE sub_id = ? AND at < coalesce((SELECT at FROM delivery_attempts WHERE sub_id = ? ORDER BY at DESC LIMIT 1 OFFSET ${KEEP_ATTEMPTS}), -1)`,
      ),
      recent: p(`SELECT * FROM deliveries WHERE sub_id = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?`),
      countRecent: p(`SELECT count(*) FROM deliveries WHERE sub_id = ?`).pluck(),
      subtreesOf: p(`SELECT count(*) FROM sub_pending WHERE sub_id = ?`).pluck(),
    };
  }

  // ---- CommitTx (inside a batch's transaction) ------------------------------------------------

  addPending(subId: string, path: string, cursor: number): void {
    this.#s.addPending!.run(subId, path, cursor);
  }

  enqueueDelivery(d: NewDelivery): void {
    this.#s.enqueue!.run(d.id, d.sub_id, d.event, d.path, d.payload, d.next_at, d.created_at, d.expires_at);
  }

  // ---- SubscriptionStore ----------------------------------------------------------------------

  async all(): Promise<SubscriptionRow[]> {
    return (this.#s.all!.all() as Array<Omit<SubscriptionRow, 'on'> & { on_events: string }>).map(({ on_events, ...r }) => ({
      ...r,
      on: JSON.parse(on_events) as SubscriptionEvent[],
    }));
  }

  async insert(r: SubscriptionRow): Promise<void> {
    this.#s.ins!.run(r.id, r.view, r.name, r.path, r.pattern, JSON.stringify(r.on), r.granularity, r.url, r.secret, r.retry_hours, r.created_at);
  }

  /** Removes the subscription with everything queued for it. */
  async delete(id: string): Promise<boolean> {
    let found = false;
    this.#db.transaction(() => {
      found = this.#s.del!.run(id).changes > 0;
      this.#s.delPending!.run(id);
      this.#s.delDeliveries!.run(id);
      this.#s.delAttempts!.run(id);
    })();
    return found;
  }

  async addPendingKeys(subId: string, paths: readonly string[], cursor: number): Promise<void> {
    this.#db.transaction(() => {
      for (const p of paths) this.addPending(subId, p, cursor);
    })();
  }

  async dropPending(subId: string, path: string): Promise<void> {
    this.#s.dropPending!.run(subId, path);
  }

  async pending(): Promise<Array<{ sub_id: string; path: string; cursor: number }>> {
    return this.#s.allPending!.all() as Array<{ sub_id: string; path: string; cursor: number }>;
  }

  async enqueueSettled(d: NewDelivery, pending: { subId: string; path: string } | null): Promise<void> {
    this.#db.transaction(() => {
      this.enqueueDelivery(d);
      if (pending) this.#s.dropPending!.run(pending.subId, pending.path);
    })();
  }

  async due(now: number, limit: number, subIds: readonly string[]): Promise<DeliveryRow[]> {
    if (subIds.length === 0) return [];
    return this.#db
      .prepare(`SELECT * FROM deliveries WHERE status = 'pending' AND next_at <= ? AND sub_id IN (${marks(subIds)}) ORDER BY next_at LIMIT ?`)
      .all(now, ...subIds, limit) as DeliveryRow[];
  }

  async nextDue(subIds: readonly string[]): Promise<number | null> {
    if (subIds.length === 0) return null;
    const v = this.#db.prepare(`SELECT min(next_at) FROM deliveries WHERE status = 'pending' AND sub_id IN (${marks(subIds)})`).pluck().get(...subIds);
    return (v as number | null) ?? null;
  }

  /** Records one attempt and the delivery's new state together. */
  async recordAttempt(d: DeliveryRow, a: AttemptRow): Promise<void> {
    this.#db.transaction(() => {
      this.#s.settle!.run(d.status, d.attempts, d.next_at, d.last_status, d.last_error, d.done_at, d.id);
      this.#s.attempt!.run(a.delivery_id, d.sub_id, a.at, a.status_code, a.error, a.duration_ms);
      if (d.attempts % 64 === 1) this.#s.trimAttempts!.run(d.sub_id, d.sub_id);
    })();
  }

  async recent(subId: string, limit: number, offset: number): Promise<{ items: DeliveryRow[]; total: number }> {
    return { items: this.#s.recent!.all(subId, limit, offset) as DeliveryRow[], total: this.#s.countRecent!.get(subId) as number };
  }

  async pendingDeliveries(subIds: readonly string[]): Promise<number> {
    if (subIds.length === 0) return 0;
    return this.#db.prepare(`SELECT count(*) FROM deliveries WHERE status = 'pending' AND sub_id IN (${marks(subIds)})`).pluck().get(...subIds) as number;
  }

  async pendingSubtrees(subId: string): Promise<number> {
    return this.#s.subtreesOf!.get(subId) as number;
  }
}

function marks(ids: readonly string[]): string {
  return ids.map(() => '?').join(',');
}
