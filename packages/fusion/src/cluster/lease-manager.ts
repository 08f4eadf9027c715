// View ownership in a cluster: leases in PostgreSQL, renewed on a timer, taken over when they expire, handed over on a move.

import pg from 'pg';
import type { ViewEngine } from '../contract.js';
import type { PgViewStore } from '../store/postgres/pg-store.js';
import type { LeaseRef } from '../store/postgres/pg-view-persistence.js';
import { choosePlacement, type NodeRow } from './placement.js';

export interface LeaseManagerOptions {
  store: PgViewStore;
  nodeId: string;
  advertiseUrl: string;
  leaseSec: number;
  /** A view became ours and is loaded: adopt its sessions, subscriptions. */
  attached(view: string, engine: ViewEngine): Promise<void>;
  /** A view stopped being ours (lost, moved, failed): forget its sessions and streams. */
  detached(view: string, reason: string): void;
  /** What GET /views says about an owned view; published so every node can answer it. */
  summary(engine: ViewEngine): Record<string, unknown>;
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

interface Owned {
  lease: LeaseRef;
  state: 'loading' | 'ready' | 'draining';
  /** performance.now() until which the lease is certainly ours (renewal sent + lease − margin). */
  validUntil: number;
}

export interface ViewOwner {
  view: string;
  owner: string | null;
  url: string | null;
  epoch: number;
  expired: boolean;
}

/** Never trust a lease this close to its end: clocks and the renewal round trip eat into it. */
const SAFETY_MS = 1000;
const CHANNEL = 'fustor_cluster';

/**
 * Safety does not depend on timing: every write checks owner and epoch inside its transaction (fencing,
 * pg-view-persistence.ts). Timing only decides liveness: a node stops *serving* a view as soon as its
 * local deadline passes without a renewal (a paused or partitioned node goes quiet on its own), and
 * another node takes the view once PostgreSQL's expiry passes.
 */
export class LeaseManager {
  readonly #o: LeaseManagerOptions;
  readonly #owned = new Map<string, Owned>();
  #owners = new Map<string, ViewOwner>();
  #nodes: NodeRow[] = [];
  #timer: NodeJS.Timeout | null = null;
  #listener: pg.Client | null = null;
  #ticking: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  readonly #startedAt = new Date();
  /** Failed views wait here until the next tick loads them again. */
  readonly #failed = new Set<string>();

  constructor(o: LeaseManagerOptions) {
    this.#o = o;
  }

  get tickMs(): number {
    return Math.max(250, Math.floor((this.#o.leaseSec * 1000) / 3));
  }

  async start(): Promise<void> {
    await this.#tick();
    this.#timer = setInterval(() => void this.kick(), this.tickMs);
    this.#timer.unref();
    void this.#listen();
  }

  /** Runs a tick now (or right after the running one): a move or takeover announced by another node. */
  kick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#ticking) {
      this.#again = true;
      return this.#ticking;
    }
    this.#ticking = this.#tick()
      .catch((err: unknown) => this.#o.log('warn', 'cluster tick failed (PostgreSQL unreachable?)', { error: String(err) }))
      .finally(() => {
        this.#ticking = null;
        if (this.#again) {
          this.#again = false;
          void this.kick();
        }
      });
    return this.#ticking;
  }

  /** LISTEN on a connection of its own: moves and takeovers reach other nodes at once, not at their next tick. */
  async #listen(): Promise<void> {
    if (this.#stopped) return;
    const c = new pg.Client(this.#o.store.url ? { connectionString: this.#o.store.url } : {});
    c.on('notification', () => void this.kick());
    c.on('error', () => undefined);
    c.on('end', () => {
      this.#listener = null;
      if (!this.#stopped) setTimeout(() => void this.#listen(), 1000).unref();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      this.#listener = c;
    } catch {
      await c.end().catch(() => undefined);
      if (!this.#stopped) setTimeout(() => void this.#listen(), 1000).unref();
    }
  }

  /** True while this node may answer for the view (ready, lease certainly held). */
  serves(view: string): boolean {
    const o = this.#owned.get(view);
    return o !== undefined && o.state === 'ready' && performance.now() < o.validUntil;
  }

  /** Ours but not answering right now (loading, draining for a move, lease about to lapse). */
  busy(view: string): boolean {
    return this.#owned.has(view) && !this.serves(view);
  }

  ownerOf(view: string): ViewOwner | undefined {
    return this.#owners.get(view);
  }

  owners(): ViewOwner[] {
    return [...this.#owners.values()];
  }

  nodes(): NodeRow[] {
    return this.#nodes;
  }

  /** A view's write failed (PostgreSQL gone, or fenced): drop it now, load it again if the lease is still ours. */
  failed(view: string, err: Error): void {
    if (!this.#owned.has(view)) return;
    this.#o.log('warn', 'view write failed; dropping it to load it again from PostgreSQL', { view, error: err.message });
    this.#drop(view, `write failed: ${err.message}`);
    this.#failed.add(view);
    void this.kick();
  }

  #drop(view: string, reason: string): void {
    if (!this.#owned.delete(view)) return;
    this.#o.store.detach(view);
    this.#o.detached(view, reason);
  }

  async #tick(): Promise<void> {
    const pool = this.#o.store.pool;
    const leaseMs = this.#o.leaseSec * 1000;
    const files = this.#o.store.views().reduce((n, v) => n + v.counters().file_count, 0);
    await pool.query(
      `INSERT INTO cluster_nodes (id, url, started_at, last_seen, files, views) VALUES ($1, $2, $3, now(), $4, $5)
       ON CONFLICT (id) DO UPDATE SET url = excluded.url, started_at = excluded.started_at, last_seen = now(), files = excluded.files, views = excluded.views`,
      [this.#o.nodeId, this.#o.advertiseUrl, this.#startedAt, files, this.#owned.size],
    );
    await this.#renew(leaseMs);
    await this.#survey(leaseMs);
    await this.#publishSummaries();
    await this.#o.store.refreshSettings();
  }

  async #renew(leaseMs: number): Promise<void> {
    if (this.#owned.size === 0) return;
    const views = [...this.#owned.keys()];
    const epochs = views.map((v) => this.#owned.get(v)!.lease.epoch);
    const sent = performance.now();
    const r = await this.#o.store.pool.query(
      `UPDATE view_leases l SET expires_at = now() + $3 * interval '1 millisecond'
       FROM unnest($1::text[], $2::int8[]) AS mine(view, epoch)
       WHERE l.view = mine.view AND l.epoch = mine.epoch AND l.owner = $4 RETURNING l.view`,
      [views, epochs, leaseMs, this.#o.nodeId],
    );
    const kept = new Set((r.rows as Array<{ view: string }>).map((x) => x.view));
    for (const v of views) {
      const o = this.#owned.get(v);
      if (!o) continue;
      if (kept.has(v)) o.validUntil = sent + leaseMs - SAFETY_MS;
      else {
        this.#o.log('warn', 'lost the lease of a view (another node took it)', { view: v, epoch: o.lease.epoch });
        this.#drop(v, 'lease lost');
      }
    }
  }

  /** Reads every lease and live node; loads views handed to us; takes orphaned views we should place. */
  async #survey(leaseMs: number): Promise<void> {
    const pool = this.#o.store.pool;
    const nodes = (await pool.query(
      `SELECT id, url, files, views, last_seen > now() - $1 * interval '1 millisecond' AS alive, extract(epoch FROM last_seen) * 1000 AS last_seen_ms FROM cluster_nodes ORDER BY id`,
      [leaseMs],
    )).rows as NodeRow[];
    this.#nodes = nodes;
    const urls = new Map(nodes.map((n) => [n.id, n.url]));
    const leases = (await pool.query(
      `SELECT view, owner, epoch, expires_at < now() AS expired, orphan_since < now() - 2 * $1 * interval '1 millisecond' AS long_orphan FROM view_leases`,
      [leaseMs],
    )).rows as Array<{ view: string; owner: string | null; epoch: number; expired: boolean; long_orphan: boolean | null }>;
    const configured = new Set(this.#o.store.configured().map((c) => c.id));
    this.#owners = new Map(
      leases
        .filter((l) => configured.has(l.view))
        .map((l) => [l.view, { view: l.view, owner: l.owner, url: l.owner ? (urls.get(l.owner) ?? null) : null, epoch: Number(l.epoch), expired: l.expired }]),
    );
    for (const l of leases) {
      if (!configured.has(l.view) || this.#owned.has(l.view)) continue;
      if (l.owner === this.#o.nodeId && !l.expired) {
        // Handed to us (a move), or ours before a write failure: load it under its current epoch.
        await this.#attach(l.view, Number(l.epoch));
        continue;
      }
      if (l.owner !== null && !l.expired) continue;
      if (l.owner !== null || this.#failed.has(l.view)) await pool.query(`UPDATE view_leases SET orphan_since = coalesce(orphan_since, now()) WHERE view = $1`, [l.view]);
      const mine = choosePlacement(nodes, this.#o.nodeId) === this.#o.nodeId || l.long_orphan === true;
      if (mine && (await this.#acquire(l.view, leaseMs))) {
        // Count it at once, so the next orphan of this survey is placed knowing this node took one.
        const self = nodes.find((n) => n.id === this.#o.nodeId);
        if (self) {
          self.views = Number(self.views) + 1;
          self.files = Number(self.files) + (this.#o.store.view(l.view)?.counters().file_count ?? 0);
        }
      }
    }
  }

  async #acquire(view: string, leaseMs: number): Promise<boolean> {
    const r = await this.#o.store.pool.query(
      `UPDATE view_leases SET owner = $2, epoch = epoch + 1, expires_at = now() + $3 * interval '1 millisecond', orphan_since = NULL
       WHERE view = $1 AND (owner IS NULL OR expires_at < now() OR owner = $2) RETURNING epoch`,
      [view, this.#o.nodeId, leaseMs],
    );
    if (r.rowCount === 0) return false;
    const epoch = Number((r.rows[0] as { epoch: number }).epoch);
    this.#o.log('info', 'took over a view', { view, epoch });
    await this.#o.store.pool.query(`NOTIFY ${CHANNEL}`).catch(() => undefined);
    await this.#attach(view, epoch);
    return true;
  }

  async #attach(view: string, epoch: number): Promise<void> {
    const lease: LeaseRef = { view, owner: this.#o.nodeId, epoch };
    this.#owners.set(view, { view, owner: this.#o.nodeId, url: this.#o.advertiseUrl, epoch, expired: false });
    const own: Owned = { lease, state: 'loading', validUntil: performance.now() + this.#o.leaseSec * 1000 - SAFETY_MS };
    this.#owned.set(view, own);
    this.#failed.delete(view);
    const t0 = performance.now();
    try {
      const engine = await this.#o.store.attach(view, lease);
      await this.#o.attached(view, engine);
      if (this.#owned.get(view) !== own) return; // lost while loading
      own.state = 'ready';
      this.#o.log('info', 'serving view', { view, epoch, files: engine.counters().file_count, load_ms: Math.round(performance.now() - t0) });
    } catch (err) {
      this.#o.log('error', 'loading a view from PostgreSQL failed; will retry', { view, error: String(err) });
      this.#drop(view, 'load failed');
      this.#failed.add(view);
    }
  }

  async #publishSummaries(): Promise<void> {
    for (const [view, o] of this.#owned) {
      if (o.state !== 'ready') continue;
      const engine = this.#o.store.view(view);
      if (!engine) continue;
      await this.#o.store.pool.query(
        `INSERT INTO view_summaries (view, summary, updated_at) VALUES ($1, $2, now()) ON CONFLICT (view) DO UPDATE SET summary = excluded.summary, updated_at = now()`,
        [view, JSON.stringify({ ...this.#o.summary(engine), owner: this.#o.nodeId })],
      );
    }
  }

  /**
   * Hands a view to another live node: stop answering for it, wait until everything written is durable,
   * then give the lease (epoch + 1) to the target, which loads it at once (NOTIFY).
   */
  async move(view: string, to: string): Promise<{ view: string; from: string; to: string; epoch: number }> {
    const o = this.#owned.get(view);
    if (!o) throw new Error(`view '${view}' is not owned by this node`);
    o.state = 'draining';
    try {
      await this.#o.store.drain(view);
    } catch {
      // A failed write already poisons the view; the handover below still moves it (the target loads what is durable).
    }
    const r = await this.#o.store.pool.query(
      `UPDATE view_leases SET owner = $3, epoch = epoch + 1, expires_at = now() + $4 * interval '1 millisecond', orphan_since = NULL
       WHERE view = $1 AND owner = $2 AND epoch = $5 RETURNING epoch`,
      [view, this.#o.nodeId, to, this.#o.leaseSec * 1000, o.lease.epoch],
    );
    if (r.rowCount === 0) {
      this.#drop(view, 'lease lost during the move');
      throw new Error(`view '${view}' changed owner during the move`);
    }
    const epoch = Number((r.rows[0] as { epoch: number }).epoch);
    this.#owners.set(view, { view, owner: to, url: this.#nodes.find((n) => n.id === to)?.url ?? null, epoch, expired: false });
    this.#drop(view, `moved to ${to}`);
    await this.#o.store.pool.query(`NOTIFY ${CHANNEL}`).catch(() => undefined);
    void this.kick();
    return { view, from: this.#o.nodeId, to, epoch };
  }

  /** Clean shutdown: give up our leases so other nodes take the views at their next tick, not after expiry. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#ticking?.catch(() => undefined);
    const views = [...this.#owned.keys()];
    for (const v of views) await this.#o.store.drain(v).catch(() => undefined);
    if (views.length > 0) {
      await this.#o.store.pool
        .query(`UPDATE view_leases SET expires_at = now() - interval '1 second', orphan_since = now() - interval '1 hour' WHERE owner = $1 AND view = ANY($2::text[])`, [this.#o.nodeId, views])
        .catch(() => undefined);
      await this.#o.store.pool.query(`NOTIFY ${CHANNEL}`).catch(() => undefined);
    }
    for (const v of views) this.#drop(v, 'node stopping');
    await this.#listener?.end().catch(() => undefined);
  }
}
