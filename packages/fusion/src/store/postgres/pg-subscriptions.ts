// Subscriptions, pending subtrees and the delivery queue in PostgreSQL (the same rows as fusion.db's).

import type pg from 'pg';
import { inTransaction } from './pg-errors.js';
import type { SubscriptionEvent } from '@fustor/protocol';
import type { AttemptRow, DeliveryRow, NewDelivery, SubscriptionRow, SubscriptionStore } from '../../contract.js';

const KEEP_ATTEMPTS = 1000;

export class PgSubscriptionRepo implements SubscriptionStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async all(): Promise<SubscriptionRow[]> {
    const r = await this.#pool.query(`SELECT * FROM subscriptions ORDER BY created_at, id`);
    return (r.rows as Array<Omit<SubscriptionRow, 'on'> & { on_events: string }>).map(({ on_events, ...x }) => ({ ...x, on: JSON.parse(on_events) as SubscriptionEvent[] }));
  }

  async insert(r: SubscriptionRow): Promise<void> {
    await this.#pool.query(
      `INSERT INTO subscriptions (id, view, name, path, pattern, on_events, granularity, url, secret, retry_hours, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
      [r.id, r.view, r.name, r.path, r.pattern, JSON.stringify(r.on), r.granularity, r.url, r.secret, r.retry_hours, r.created_at],
    );
  }

  async delete(id: string): Promise<boolean> {
    return this.#tx(async (q) => {
      const found = ((await q.query(`DELETE FROM subscriptions WHERE id = $1`, [id])).rowCount ?? 0) > 0;
      for (const t of ['sub_pending', 'deliveries', 'delivery_attempts']) await q.query(`DELETE FROM ${t} WHERE sub_id = $1`, [id]);
      return found;
    });
  }

  async addPendingKeys(subId: string, paths: readonly string[], cursor: number): Promise<void> {
    await this.#pool.query(
      `INSERT INTO sub_pending (sub_id, path, cursor) SELECT $1, unnest($2::text[]), $3 ON CONFLICT (sub_id, path) DO UPDATE SET cursor = excluded.cursor`,
      [subId, paths, cursor],
    );
  }

  async dropPending(subId: string, path: string): Promise<void> {
    await this.#pool.query(`DELETE FROM sub_pending WHERE sub_id = $1 AND path = $2`, [subId, path]);
  }

  async pending(): Promise<Array<{ sub_id: string; path: string; cursor: number }>> {
    return (await this.#pool.query(`SELECT sub_id, path, cursor FROM sub_pending`)).rows as Array<{ sub_id: string; path: string; cursor: number }>;
  }

  async enqueueSettled(d: NewDelivery, pending: { subId: string; path: string } | null): Promise<void> {
    await this.#tx(async (q) => {
      await q.query(`INSERT INTO deliveries (id, sub_id, event, path, payload, status, attempts, next_at, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,'pending',0,$6,$7,$8)`, [
        d.id, d.sub_id, d.event, d.path, d.payload, d.next_at, d.created_at, d.expires_at,
      ]);
      if (pending) await q.query(`DELETE FROM sub_pending WHERE sub_id = $1 AND path = $2`, [pending.subId, pending.path]);
    });
  }

  async due(now: number, limit: number, subIds: readonly string[]): Promise<DeliveryRow[]> {
    if (subIds.length === 0) return [];
    const r = await this.#pool.query(`SELECT * FROM deliveries WHERE status = 'pending' AND next_at <= $1 AND sub_id = ANY($2::text[]) ORDER BY next_at LIMIT $3`, [now, subIds, limit]);
    return r.rows as DeliveryRow[];
  }

  async nextDue(subIds: readonly string[]): Promise<number | null> {
    if (subIds.length === 0) return null;
    const r = await this.#pool.query(`SELECT min(next_at) AS m FROM deliveries WHERE status = 'pending' AND sub_id = ANY($1::text[])`, [subIds]);
    return (r.rows[0] as { m: number | null }).m;
  }

  async recordAttempt(d: DeliveryRow, a: AttemptRow): Promise<void> {
    await this.#tx(async (q) => {
      await q.query(`UPDATE deliveries SET status = $1, attempts = $2, next_at = $3, last_status = $4, last_error = $5, done_at = $6 WHERE id = $7`, [
        d.status, d.attempts, d.next_at, d.last_status, d.last_error, d.done_at, d.id,
      ]);
      await q.query(`INSERT INTO delivery_attempts (delivery_id, sub_id, at, status_code, error, duration_ms) VALUES ($1,$2,$3,$4,$5,$6)`, [
        a.delivery_id, d.sub_id, a.at, a.status_code, a.error, a.duration_ms,
      ]);
      if (d.attempts % 64 === 1) {
        await q.query(
          `DELETE FROM delivery_attempts WHERE sub_id = $1 AND at < coalesce((SELECT at FROM delivery_attempts WHERE sub_id = $1 ORDER BY at DESC LIMIT 1 OFFSET ${KEEP_ATTEMPTS}), -1)`,
          [d.sub_id],
        );
      }
    });
  }

  async recent(subId: string, limit: number, offset: number): Promise<{ items: DeliveryRow[]; total: number }> {
    const items = (await this.#pool.query(`SELECT * FROM deliveries WHERE sub_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3`, [subId, limit, offset])).rows as DeliveryRow[];
    const total = (await this.#pool.query(`SELECT count(*)::int AS n FROM deliveries WHERE sub_id = $1`, [subId])).rows[0] as { n: number };
    return { items, total: total.n };
  }

  async pendingDeliveries(subIds: readonly string[]): Promise<number> {
    if (subIds.length === 0) return 0;
    const r = await this.#pool.query(`SELECT count(*)::int AS n FROM deliveries WHERE status = 'pending' AND sub_id = ANY($1::text[])`, [subIds]);
    return (r.rows[0] as { n: number }).n;
  }

  async pendingSubtrees(subId: string): Promise<number> {
    const r = await this.#pool.query(`SELECT count(*)::int AS n FROM sub_pending WHERE sub_id = $1`, [subId]);
    return (r.rows[0] as { n: number }).n;
  }

  #tx<T>(fn: (q: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.#pool, fn);
  }
}
