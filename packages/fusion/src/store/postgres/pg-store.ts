// The ViewStore of a cluster node: views are attached when this node owns them and detached when it loses them.

import type pg from 'pg';
import type { CommitListener, OpenViewStoreOptions, SessionRecord, ViewConfig, ViewEngine, ViewStore } from '../../contract.js';
import { ViewEngineImpl, type LogFn } from '../../views/view-engine.js';
import type { FeedRetention } from '../feed-repo.js';
import { upsertSession } from './pg-commit.js';
import { createPgPool } from './pg-pool.js';
import { migratePg } from './pg-schema.js';
import { PgSubscriptionRepo } from './pg-subscriptions.js';
import { PgViewPersistence, type LeaseRef } from './pg-view-persistence.js';

export interface PgStoreOptions extends OpenViewStoreOptions {
  /** postgres://… (null: PG* environment variables). */
  url: string | null;
  /** Told when an owned view failed to write (PostgreSQL gone, ownership lost): the owner drops it. */
  onViewFailure?(view: string, err: Error): void;
}

interface Attached {
  engine: ViewEngineImpl;
  persistence: PgViewPersistence;
  lease: LeaseRef;
}

const TICK_MS = 1000;

/**
 * Everything a node writes goes to PostgreSQL; only owned views live in memory. Settings (runtime settings,
 * API keys created through the admin API) are cached and re-read on every refresh so every node sees them.
 */
export class PgViewStore implements ViewStore {
  readonly pool: pg.Pool;
  /** The connection URL (null: PG* environment variables), for connections of their own (LISTEN). */
  readonly url: string | null;
  readonly subscriptions: PgSubscriptionRepo;
  readonly #o: PgStoreOptions;
  readonly #log: LogFn;
  readonly #retention: FeedRetention;
  readonly #configs = new Map<string, ViewConfig>();
  readonly #attached = new Map<string, Attached>();
  readonly #listeners = new Set<CommitListener>();
  #settings = new Map<string, unknown>();
  #settingsWrite: Promise<unknown> = Promise.resolve();
  readonly #timer: NodeJS.Timeout;

  private constructor(pool: pg.Pool, o: PgStoreOptions) {
    this.pool = pool;
    this.url = o.url;
    this.#o = o;
    this.#log = o.log ?? (() => {});
    this.#retention = o.feedRetention ?? { entries: 10_000_000, hours: 720 };
    this.subscriptions = new PgSubscriptionRepo(pool);
    this.#timer = setInterval(() => {
      for (const a of this.#attached.values()) {
        try {
          a.engine.tick();
        } catch (err) {
          this.#log('error', 'suspect expiry failed', { view: a.engine.id, error: String(err) });
        }
      }
    }, TICK_MS);
    this.#timer.unref();
  }

  static async open(o: PgStoreOptions): Promise<PgViewStore> {
    const log = o.log ?? (() => {});
    const pool = createPgPool({ ...(o.url ? { url: o.url } : {}), onError: (err) => log('warn', 'PostgreSQL connection error', { error: err.message }) });
    try {
      await migratePg(pool);
      const s = new PgViewStore(pool, o);
      await s.#ensureViews(o.views);
      for (const c of o.views) s.#configs.set(c.id, c);
      await s.refreshSettings();
      return s;
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  async #ensureViews(configs: readonly ViewConfig[]): Promise<void> {
    for (const c of configs) {
      await this.pool.query(`INSERT INTO views (id, config) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET config = excluded.config`, [c.id, JSON.stringify(c)]);
      await this.pool.query(`INSERT INTO view_leases (view) VALUES ($1) ON CONFLICT (view) DO NOTHING`, [c.id]);
    }
  }

  // ---- ownership (called by the cluster's lease manager) -------------------------------------

  /** Loads an owned view from PostgreSQL; its engine serves from then on. */
  async attach(viewId: string, lease: LeaseRef): Promise<ViewEngine> {
    const config = this.#configs.get(viewId);
    if (!config) throw new Error(`view '${viewId}' is not configured on this node`);
    const clocks = this.#o.clocks ?? { physical: () => Date.now(), monotonic: () => performance.now() };
    const persistence = await PgViewPersistence.fetch(this.pool, viewId, lease, this.#retention, clocks.monotonic(), (err) =>
      this.#o.onViewFailure?.(viewId, err),
    );
    const engine = new ViewEngineImpl(persistence, config, clocks, this.#log, this.#listeners);
    this.#attached.set(viewId, { engine, persistence, lease });
    return engine;
  }

  /** Forgets an owned view (lost or handed over): nothing more is written for it by this node. */
  detach(viewId: string): ViewEngine | undefined {
    const a = this.#attached.get(viewId);
    this.#attached.delete(viewId);
    return a?.engine;
  }

  /** Waits until everything written for the view is durable (a handover drains first). */
  async drain(viewId: string): Promise<void> {
    await this.#attached.get(viewId)?.persistence.durable();
  }

  leaseOf(viewId: string): LeaseRef | undefined {
    return this.#attached.get(viewId)?.lease;
  }

  configured(): ViewConfig[] {
    return [...this.#configs.values()];
  }

  async sessionsOf(viewId: string): Promise<SessionRecord[]> {
    const r = await this.pool.query(`SELECT * FROM sessions WHERE view = $1 ORDER BY created_at_ms, session_id`, [viewId]);
    return (r.rows as Array<SessionRecord & { role: string }>).map((x) => ({ ...x, role: x.role === 'leader' ? 'leader' : 'follower' }));
  }

  /** Which view a session belongs to (a node routing a session call it does not serve). */
  async viewOfSession(sessionId: string): Promise<string | null> {
    const r = await this.pool.query(`SELECT view FROM sessions WHERE session_id = $1`, [sessionId]);
    return (r.rows[0] as { view: string } | undefined)?.view ?? null;
  }

  // ---- ViewStore ------------------------------------------------------------------------------

  view(id: string): ViewEngine | undefined {
    return this.#attached.get(id)?.engine;
  }

  views(): ViewEngine[] {
    return [...this.#attached.values()].map((a) => a.engine);
  }

  configureViews(configs: readonly ViewConfig[]): void {
    this.#configs.clear();
    for (const c of configs) this.#configs.set(c.id, c);
    for (const a of this.#attached.values()) {
      const c = this.#configs.get(a.engine.id);
      if (c) a.engine.reconfigure(c);
    }
    this.#ensureViews(configs).catch((err: unknown) => this.#log('error', 'could not record the configured views in PostgreSQL', { error: String(err) }));
  }

  addCommitListener(l: CommitListener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  /** Session id → view, so a delete goes through the same view's ordered queue as the session's writes. */
  readonly #sessionViews = new Map<string, string>();

  saveSession(s: SessionRecord): void {
    this.#sessionViews.set(s.session_id, s.view);
    const a = this.#attached.get(s.view);
    if (a) return a.persistence.saveSession(s);
    upsertSession(this.pool, s).catch((err: unknown) => this.#log('warn', 'could not save a session', { session_id: s.session_id, error: String(err) }));
  }

  deleteSession(sessionId: string): void {
    const view = this.#sessionViews.get(sessionId);
    this.#sessionViews.delete(sessionId);
    const a = view === undefined ? undefined : this.#attached.get(view);
    // The view's queue keeps the delete after any write of the same session.
    if (a) return a.persistence.deleteSession(sessionId);
    this.pool.query(`DELETE FROM sessions WHERE session_id = $1`, [sessionId]).catch((err: unknown) => this.#log('warn', 'could not delete a session', { error: String(err) }));
  }

  /** Sessions adopted from PostgreSQL with a view (cluster takeover) are known here too. */
  noteSessions(recs: readonly SessionRecord[]): void {
    for (const r of recs) this.#sessionViews.set(r.session_id, r.view);
  }

  /** Sessions are adopted per view when it is attached (sessionsOf), not at start. */
  loadSessions(): SessionRecord[] {
    return [];
  }

  getSetting<T>(key: string): T | undefined {
    return this.#settings.get(key) as T | undefined;
  }

  setSetting(key: string, value: unknown): void {
    this.#settings.set(key, value);
    const json = JSON.stringify(value ?? null);
    this.#settingsWrite = this.#settingsWrite.then(() =>
      this.pool
        .query(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, json])
        .catch((err: unknown) => this.#log('error', 'could not store a setting in PostgreSQL', { key, error: String(err) })),
    );
  }

  /** Settings written by other nodes (keys created elsewhere, runtime changes). */
  async refreshSettings(): Promise<void> {
    await this.#settingsWrite;
    const r = await this.pool.query(`SELECT key, value FROM settings`);
    this.#settings = new Map((r.rows as Array<{ key: string; value: string }>).map((x) => [x.key, JSON.parse(x.value) as unknown]));
  }

  close(): void {
    clearInterval(this.#timer);
    const pending = [...this.#attached.values()].map((a) => a.persistence.durable().catch(() => undefined));
    this.#attached.clear();
    void Promise.all([...pending, this.#settingsWrite]).finally(() => this.pool.end().catch(() => undefined));
  }

  /** Close and wait for the pool to end (tests, clean shutdown). */
  async closeAndWait(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all([...this.#attached.values()].map((a) => a.persistence.durable().catch(() => undefined)));
    this.#attached.clear();
    await this.#settingsWrite;
    await this.pool.end().catch(() => undefined);
  }
}
