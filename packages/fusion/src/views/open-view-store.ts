// openViewStore: opens fusion.db, loads every configured view into memory and persists sessions and settings.

import type Database from 'better-sqlite3';
import { closeDatabase, openDatabase, setAutoCheckpoint, SQLITE_DRIVER, WAL_BACKSTOP_BYTES, WAL_CHECKPOINT_BYTES } from '../store/database.js';
import { WalCheckpointer } from '../store/wal-checkpointer.js';
import { SessionRepo } from '../store/session-repo.js';
import { SubscriptionRepo } from '../store/subscription-repo.js';
import { ViewRepo } from '../store/view-repo.js';
import type { CommitListener, SubscriptionStore, EngineClocks, OpenViewStoreOptions, SessionRecord, ViewConfig, ViewEngine, ViewStore } from '../contract.js';
import type { FeedRetention } from '../store/feed-repo.js';
import { ViewEngineImpl, type LogFn } from './view-engine.js';

const DEFAULT_CLOCKS: EngineClocks = { physical: () => Date.now(), monotonic: () => performance.now() };
/** How often due suspects are expired without waiting for a request. */
const TICK_MS = 1000;

class ViewStoreImpl implements ViewStore {
  readonly #db: Database.Database;
  readonly #sessions: SessionRepo;
  readonly subscriptions: SubscriptionStore;
  readonly #subs: SubscriptionRepo;
  readonly #clocks: EngineClocks;
  readonly #log: LogFn;
  readonly #views = new Map<string, ViewEngineImpl>();
  readonly #listeners = new Set<CommitListener>();
  readonly #retention: FeedRetention;
  readonly #timer: NodeJS.Timeout;
  /** Checkpoints in a worker thread (a file database only). */
  readonly checkpointer: WalCheckpointer | null = null;

  constructor(opts: OpenViewStoreOptions) {
    this.#clocks = opts.clocks ?? DEFAULT_CLOCKS;
    this.#log = opts.log ?? (() => {});
    this.#retention = opts.feedRetention ?? { entries: 10_000_000, hours: 720 };
    this.#db = openDatabase(opts.path, opts.synchronous ?? 'full');
    try {
      this.#sessions = new SessionRepo(this.#db);
      this.#subs = new SubscriptionRepo(this.#db);
      this.subscriptions = this.#subs;
      this.configureViews(opts.views);
    } catch (err) {
      this.#db.close();
      throw err;
    }
    this.#timer = setInterval(() => this.#tickAll(), TICK_MS);
    this.#timer.unref();
    if (opts.path !== ':memory:' && opts.backgroundCheckpoints !== false) {
      const db = this.#db;
      const cp = new WalCheckpointer(opts.path, {
        driver: SQLITE_DRIVER,
        startBytes: WalCheckpointer.defaultStartBytes,
        intervalMs: 200,
        onFailure: (reason) => {
          // Back to SQLite's own checkpoints in the committing connection, as without the worker.
          if (db.open) setAutoCheckpoint(db, WAL_CHECKPOINT_BYTES);
          this.#log('warn', 'background WAL checkpoints stopped; commits checkpoint again', { reason });
        },
      });
      setAutoCheckpoint(db, WAL_BACKSTOP_BYTES);
      this.checkpointer = cp;
      this.#listeners.add({ committed: () => cp.nudge() });
    }
  }

  #tickAll(): void {
    for (const v of this.#views.values()) {
      try {
        v.tick();
      } catch (err) {
        this.#log('error', 'suspect expiry failed', { view: v.id, error: String(err) });
      }
    }
  }

  view(id: string): ViewEngine | undefined {
    return this.#views.get(id);
  }

  views(): ViewEngine[] {
    return [...this.#views.values()];
  }

  configureViews(configs: readonly ViewConfig[]): void {
    const wanted = new Set(configs.map((c) => c.id));
    for (const id of [...this.#views.keys()]) if (!wanted.has(id)) this.#views.delete(id);
    const find = this.#db.prepare(`SELECT num FROM views WHERE id = ?`);
    const insert = this.#db.prepare(`INSERT INTO views (id, config) VALUES (?, ?)`);
    const update = this.#db.prepare(`UPDATE views SET config = ? WHERE num = ?`);
    for (const c of configs) {
      const json = JSON.stringify(c);
      const row = find.get(c.id) as { num: number } | undefined;
      const num = row?.num ?? Number(insert.run(c.id, json).lastInsertRowid);
      if (row) update.run(json, num);
      const live = this.#views.get(c.id);
      if (live) live.reconfigure(c);
      else {
        const started = performance.now();
        const repo = new ViewRepo(this.#db, num, this.#retention, this.#subs);
        const engine = new ViewEngineImpl(repo, c, this.#clocks, this.#log, this.#listeners);
        this.#views.set(c.id, engine);
        this.#log('info', 'view loaded', {
          view: c.id,
          files: engine.counters().file_count,
          load_ms: Math.round(performance.now() - started),
        });
      }
    }
  }

  addCommitListener(l: CommitListener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  saveSession(s: SessionRecord): void {
    this.#sessions.save(s);
  }

  deleteSession(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }

  loadSessions(): SessionRecord[] {
    return this.#sessions.all();
  }

  getSetting<T>(key: string): T | undefined {
    return this.#sessions.getSetting<T>(key);
  }

  setSetting(key: string, value: unknown): void {
    this.#sessions.setSetting(key, value);
  }

  /** The committing connection's wal_autocheckpoint in pages (status and tests: the backstop while the worker runs). */
  get walAutoCheckpointPages(): number {
    return this.#db.pragma('wal_autocheckpoint', { simple: true }) as number;
  }

  close(): void {
    clearInterval(this.#timer);
    this.checkpointer?.stop();
    for (const v of this.#views.values()) v.checkpoint();
    this.#views.clear();
    closeDatabase(this.#db);
  }
}

export function openViewStore(opts: OpenViewStoreOptions): ViewStore {
  return new ViewStoreImpl(opts);
}
