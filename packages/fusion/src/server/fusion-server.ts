// Assembles Fusion: opens the store, builds the express app, listens, reloads on demand and shuts down gracefully.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { API_BASE, createLogger, ERROR_CODES, isLogLevel, type Logger } from '@fustor/protocol';
import { KeyRegistry } from '../auth/key-registry.js';
import { RateLimiter } from '../auth/rate-limiter.js';
import type { FusionConfig } from '../config/types.js';
import { DiskFullError, NotFoundError, NotReadyError, StoreError } from '../errors.js';
import { summarize } from '../routes/queries.js';
import { apiRoutes, docRoutes, healthRoutes, RUNTIME_SETTINGS_KEY, type RouteContext, type RuntimeSettings } from '../routes/index.js';
import { JobTracker } from '../sessions/jobs.js';
import { SessionManager } from '../sessions/session-manager.js';
import type { EngineClocks, OpenViewStoreOptions, ViewStore } from '../contract.js';
import { checkingIntervalMs, DEFAULT_CONNECTION_LIMITS, guardConnections, type ConnectionLimits } from './connections.js';
import { errorHandler } from './error-handler.js';
import { describeStorageError, DiskFullState } from './storage-health.js';
import { Metrics } from './metrics.js';
import { countRequests } from './request-metrics.js';
import { FeedHub } from '../feed/feed-hub.js';
import { SubscriptionService } from '../subscriptions/subscription-service.js';
import { ClusterNode } from '../cluster/cluster-node.js';
import { PgViewStore } from '../store/postgres/pg-store.js';

export type OpenStore = (opts: OpenViewStoreOptions) => ViewStore;

export interface FusionServerOptions {
  config: FusionConfig;
  openStore: OpenStore;
  log?: Logger;
  clocks?: EngineClocks;
  /** Overrides config.server.port (the CLI's --port; tests use 0). */
  port?: number;
  /** Session expiry check period (tests shorten it). */
  sessionSweepMs?: number;
  /** Drain deadline on stop before open connections are cut. */
  stopDeadlineMs?: number;
  /** Header/request/keep-alive timeouts and the connection cap (tests shorten them). */
  connections?: Partial<ConnectionLimits>;
  /** Comment period on idle SSE streams (tests shorten it). */
  feedKeepaliveMs?: number;
  /** Webhook retry backoff: first delay and cap (tests shorten them). */
  webhookRetryMs?: { base: number; max: number };
}

/** Setting rewritten by the disk-full probe of /readyz. */
const DISK_PROBE_SETTING = 'disk_probe_ms';

const DEFAULT_RUNTIME: RuntimeSettings = { rate_limit_per_key_per_minute: 0, log_level: 'info' };

export class FusionServer {
  readonly #opts: FusionServerOptions;
  readonly #log: Logger;
  readonly #metrics = new Metrics();
  readonly #jobs = new JobTracker();
  readonly #diskFull = new DiskFullState();
  readonly #feed: FeedHub;
  #subs: SubscriptionService | null = null;
  #cluster: ClusterNode | null = null;
  #config: FusionConfig;
  #store: ViewStore | null = null;
  #sessions: SessionManager | null = null;
  #keys: KeyRegistry | null = null;
  #rateLimiter = new RateLimiter(0);
  #runtime: RuntimeSettings = { ...DEFAULT_RUNTIME };
  #http: Server | null = null;
  #app: express.Express | null = null;
  #ready = false;
  #stopping: Promise<void> | null = null;

  constructor(opts: FusionServerOptions) {
    this.#opts = opts;
    this.#config = opts.config;
    this.#feed = new FeedHub(opts.feedKeepaliveMs);
    this.#log = opts.log ?? createLogger({ level: opts.config.logging.level });
  }

  get config(): FusionConfig {
    return this.#config;
  }
  get store(): ViewStore {
    if (!this.#store) throw new NotReadyError();
    return this.#store;
  }
  get sessions(): SessionManager {
    if (!this.#sessions) throw new NotReadyError();
    return this.#sessions;
  }
  /** On-demand jobs and the queries waiting on them. */
  get jobs(): JobTracker {
    return this.#jobs;
  }
  get port(): number {
    return (this.#http?.address() as AddressInfo | null)?.port ?? 0;
  }
  get url(): string {
    const host = this.#config.server.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }
  /** The express app once started (tests walk its routes against the OpenAPI catalog). */
  get app(): express.Express | null {
    return this.#app;
  }
  get ready(): boolean {
    return this.#ready && !this.#stopping;
  }

  /** Listens first (so /healthz answers), then opens storage and turns ready. */
  async start(): Promise<void> {
    const app = this.#buildApp();
    this.#app = app;
    const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...this.#opts.connections };
    const http = createServer({ connectionsCheckingInterval: checkingIntervalMs(limits) }, app);
    guardConnections(http, limits, this.#log, this.#metrics);
    this.#http = http;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.#opts.port ?? this.#config.server.port, this.#config.server.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    try {
      await this.#openStore();
    } catch (err) {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      throw err;
    }
    this.#log.info('fusion listening', { url: this.url, views: this.#config.views.map((v) => v.id), db: this.#config.storage.path });
  }

  async #openStore(): Promise<void> {
    const c = this.#config;
    const storeOpts = {
      path: c.storage.path,
      views: c.views,
      clocks: this.#opts.clocks,
      synchronous: c.storage.synchronous,
      feedRetention: { entries: c.feed.retention_entries, hours: c.feed.retention_hours },
      log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => this.#log.log(level, msg, fields),
    };
    let store: ViewStore;
    let pg: PgViewStore | null = null;
    try {
      pg = c.storage.backend === 'postgres' ? await PgViewStore.open({ ...storeOpts, url: c.storage.url, onViewFailure: (v, err) => this.#cluster?.viewFailed(v, err) }) : null;
      store = pg ?? this.#opts.openStore(storeOpts);
    } catch (err) {
      // damage found while loading a view says "malformed" and nothing else: name the file and the fix
      const described = describeStorageError(err, c.storage.path);
      if (!(described instanceof DiskFullError)) throw described;
      throw new StoreError(`${c.storage.path}: the disk holding it is full (${(err as Error).message}); free space there and start again`);
    }
    this.#store = store;
    store.addCommitListener(this.#feed);
    this.#subs = new SubscriptionService({
      store,
      allowedHosts: () => this.#config.webhooks.allowed_hosts,
      timeoutMs: c.webhooks.timeout_ms,
      concurrency: c.webhooks.max_concurrency,
      ...(this.#opts.webhookRetryMs ? { retryBaseMs: this.#opts.webhookRetryMs.base, retryMaxMs: this.#opts.webhookRetryMs.max } : {}),
      outcome: (kind) => this.#metrics.countDelivery(kind),
      log: (level, msg, fields) => this.#log.log(level, msg, fields),
    });
    store.addCommitListener(this.#subs);
    await this.#subs.start();
    const subs = this.#subs;
    this.#metrics.feedSource = () => ({ clients: this.#feed.counts(), pendingDeliveries: subs.pendingDeliveries(), pendingSubtrees: subs.pendingSubtrees });
    const saved = store.getSetting<Partial<RuntimeSettings>>(RUNTIME_SETTINGS_KEY);
    this.#applyRuntime({ ...DEFAULT_RUNTIME, log_level: c.logging.level, ...saved });
    this.#keys = new KeyRegistry(store, c.api_keys);
    this.#sessions = new SessionManager({
      store,
      defaultTimeoutSec: c.session.timeout_sec,
      sweepIntervalMs: this.#opts.sessionSweepMs,
      log: (level, msg, fields) => this.#log.log(level, msg, fields),
      onClose: (s, reason) => this.#jobs.failSession(s.rec.session_id, `session ${reason}`),
    });
    this.#sessions.start((v) => store.view(v) !== undefined);
    if (pg) await this.#startCluster(pg);
    this.#ready = true;
  }

  /** PostgreSQL backend: this process is a cluster node; views arrive as it takes their leases (cluster.md). */
  async #startCluster(store: PgViewStore): Promise<void> {
    const c = this.#config;
    this.#cluster = new ClusterNode({
      store,
      nodeId: c.cluster.node_id,
      advertiseUrl: c.cluster.advertise_url ?? this.url,
      leaseSec: c.cluster.lease_sec,
      sessions: () => this.sessions,
      keys: () => this.#keys!,
      feed: this.#feed,
      subscriptions: () => this.#subs!,
      summary: (engine) => ({ ...summarize(this.#context(), engine) }),
      maxBodyMb: () => this.#config.server.max_body_mb,
      log: (level, msg, fields) => this.#log.log(level, msg, { node: c.cluster.node_id, ...fields }),
    });
    await this.#cluster.start();
    const cluster = this.#cluster;
    this.#metrics.clusterSource = () => {
      const info = cluster.info();
      return {
        node: info.node,
        nodesAlive: info.nodes.filter((n) => n.alive).length,
        owners: new Map(info.views.map((v) => [v.view, v.expired ? null : v.owner])),
        served: new Set(store.views().map((v) => v.id).filter((v) => cluster.leases.serves(v))),
      };
    };
    this.#log.info('cluster node started', { node: c.cluster.node_id, advertise_url: c.cluster.advertise_url ?? this.url, lease_sec: c.cluster.lease_sec });
  }

  #applyRuntime(next: RuntimeSettings): void {
    this.#runtime = Object.freeze({ ...next });
    this.#rateLimiter.setLimit(next.rate_limit_per_key_per_minute);
    if (isLogLevel(next.log_level)) this.#log.setLevel(next.log_level);
  }

  #context(): RouteContext {
    const self = this;
    return {
      get store() {
        return self.store;
      },
      get sessions() {
        return self.sessions;
      },
      get keys() {
        if (!self.#keys) throw new NotReadyError();
        return self.#keys;
      },
      get rateLimiter() {
        return self.#rateLimiter;
      },
      jobs: this.#jobs,
      feed: this.#feed,
      get subscriptions() {
        if (!self.#subs) throw new NotReadyError();
        return self.#subs;
      },
      feedMaxLag: () => this.#config.feed.max_lag,
      cluster: () => this.#cluster,
      metrics: this.#metrics,
      log: this.#log,
      config: () => this.#config,
      runtime: () => this.#runtime,
      setRuntime: (next) => {
        this.store.setSetting(RUNTIME_SETTINGS_KEY, next);
        this.#applyRuntime(next);
        this.#log.info('runtime settings changed', { ...next });
      },
    };
  }

  #buildApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.use(countRequests(this.#metrics));
    app.use(
      healthRoutes({
        ready: () => this.#ready,
        shuttingDown: () => this.#stopping !== null,
        metricsText: () => this.#metrics.render(this.#store, this.#sessions, this.#config.storage.path),
        storageProblem: () => this.#storageProblem(),
      }),
    );
    app.use(docRoutes());
    app.use(API_BASE, (req: Request, res: Response, next: NextFunction) => {
      // a write that succeeds proves the disk has room again
      if (req.method !== 'GET' && this.#diskFull.since !== null) res.once('finish', () => res.statusCode < 400 && this.#diskFull.noteWriteOk());
      if (this.#stopping) {
        res.setHeader('Connection', 'close');
        return next(new NotReadyError('shutting down'));
      }
      if (!this.#ready) return next(new NotReadyError('storage is opening; views not loaded yet'));
      next();
    });
    // Cluster mode: requests about views served by another node are forwarded there (bodies unread:
    // streamed through, except a session create, whose view is in its body, read after its key).
    app.use(API_BASE, (req: Request, res: Response, next: NextFunction) => (this.#cluster ? void this.#cluster.route(req, res, next) : next()));
    app.use(API_BASE, apiRoutes(this.#context()));
    app.use((req: Request, _res: Response, next: NextFunction) => next(new NotFoundError(`no route ${req.method} ${req.path}`)));
    app.use(
      errorHandler(this.#log, this.#metrics, {
        dbPath: () => this.#config.storage.path,
        onDiskFull: () => this.#diskFull.noteFull(),
      }),
    );
    return app;
  }

  /** /readyz: after a write failed for a full disk, one small write tells whether space is back. */
  #storageProblem(): { code: number; message: string } | null {
    const store = this.#store;
    const dbPath = this.#config.storage.path;
    if (!store || !this.#diskFull.check(dbPath, () => store.setSetting(DISK_PROBE_SETTING, Date.now()))) return null;
    const since = new Date(this.#diskFull.since!).toISOString();
    return {
      code: ERROR_CODES.DISK_FULL.code,
      message: `the disk holding the database ${this.#config.storage.path} is full (writes failing since ${since}); free space there: Fusion retries by itself and turns ready again`,
    };
  }

  /** Applies a new config (SIGHUP): views added/changed/removed and keys; listen address changes need a restart. */
  reload(next: FusionConfig): void {
    const prev = this.#config;
    if (next.server.port !== prev.server.port || next.server.host !== prev.server.host) {
      this.#log.warn('server.host/port changed: takes effect after a restart', { host: next.server.host, port: next.server.port });
    }
    if (next.storage.path !== prev.storage.path) this.#log.warn('storage.path changed: takes effect after a restart');
    this.#config = next;
    const store = this.#store;
    if (store && this.#sessions && this.#keys) {
      store.configureViews(next.views);
      const keep = new Set(next.views.map((v) => v.id));
      for (const v of prev.views) {
        if (keep.has(v.id)) continue;
        this.#sessions.dropView(v.id);
        this.#feed.closeAll(v.id);
      }
      this.#sessions.defaultTimeoutSec = next.session.timeout_sec;
      this.#keys.reload(next.api_keys);
    }
    if (!store?.getSetting<Partial<RuntimeSettings>>(RUNTIME_SETTINGS_KEY)?.log_level) this.#log.setLevel(next.logging.level);
    this.#log.info('configuration reloaded', { views: next.views.map((v) => v.id), keys: next.api_keys.length });
  }

  /** Stop accepting, finish in-flight requests (long polls are answered), then checkpoint and close the store. */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#stopping = (async () => {
      const http = this.#http;
      this.#sessions?.stop();
      this.#jobs.cancelAll();
      // Streams never end by themselves: end them so the server can close.
      this.#feed.closeAll();
      await this.#subs?.stop();
      // Hand our views back first (drained, leases released) so other nodes take them at once.
      await this.#cluster?.stop().catch((err: unknown) => this.#log.warn('leaving the cluster failed', { error: String(err) }));
      if (http) {
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections();
        const deadline = setTimeout(() => http.closeAllConnections(), this.#opts.stopDeadlineMs ?? 10_000);
        await closed;
        clearTimeout(deadline);
      }
      this.#ready = false;
      try {
        this.#store?.close();
      } catch (err) {
        this.#log.error('closing the store failed', { error: err as Error });
      }
      this.#log.info('fusion stopped');
    })();
    return this.#stopping;
  }
}
