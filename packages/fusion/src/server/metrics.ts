// Prometheus metrics with prom-client on a per-server Registry: counters and histograms updated as things happen,
// gauges sampled at scrape time, plus the default process and event-loop metrics.

import { statSync } from 'node:fs';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MESSAGE_SOURCES } from '@fustor/protocol';
import type { SessionManager } from '../sessions/session-manager.js';
import type { ViewStore } from '../contract.js';
import { ClusterGauges, type ClusterFigures } from './cluster-metrics.js';

const BATCH_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const SOURCES = new Set<string>(MESSAGE_SOURCES);
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

export type EventOutcome = 'accepted' | 'ignored' | 'duplicate' | 'rejected';
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

/** Change-feed and webhook figures sampled at scrape time. */
export interface FeedFigures {
  clients: Map<string, number>;
  pendingDeliveries: number;
  pendingSubtrees: number;
}

export interface MetricsOptions {
  /** process_* and nodejs_* metrics (default on; a unit test of something else may leave them out). */
  defaults?: boolean;
}

export class Metrics {
  /** This server's registry: several servers in one process never share (or clash on) a metric. */
  readonly registry = new Registry();
  readonly #events: Counter<'source' | 'outcome'>;
  readonly #errors: Counter<'code'>;
  readonly #requests: Counter<'group' | 'method' | 'status'>;
  readonly #batch: Histogram<'source'>;
  readonly #deliveries: Counter<'outcome'>;
  readonly #sampled: SampledGauges;

  /** Change-feed and webhook gauges, set once the store is open. */
  feedSource: (() => FeedFigures) | null = null;
  /** Cluster gauges, set when this node runs in a cluster. */
  clusterSource: (() => ClusterFigures) | null = null;
  #cluster: ClusterGauges | null = null;

  constructor(opts: MetricsOptions = {}) {
    const registers = [this.registry];
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry });
    this.#events = new Counter({ name: 'fustor_events_total', help: 'Events received, by message source and outcome.', labelNames: ['source', 'outcome'], registers });
    this.#errors = new Counter({ name: 'fustor_http_errors_total', help: 'Error answers by API code.', labelNames: ['code'], registers });
    this.#requests = new Counter({
      name: 'fustor_http_requests_total',
      help: 'HTTP requests answered, by route group (the OpenAPI tag), method and status.',
      labelNames: ['group', 'method', 'status'],
      registers,
    });
    this.#batch = new Histogram({
      name: 'fustor_batch_apply_seconds',
      help: 'Time to validate, apply and durably commit one event batch, by message source.',
      labelNames: ['source'],
      buckets: BATCH_BUCKETS_SECONDS,
      registers,
    });
    this.#deliveries = new Counter({
      name: 'fustor_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, failed).',
      labelNames: ['outcome'],
      registers,
    });
    this.#sampled = new SampledGauges(this.registry);
  }

  countEvents(source: string, outcome: EventOutcome, n: number): void {
    if (n <= 0) return;
    // a rejected batch may name any source: keep the label set bounded
    this.#events.inc({ source: SOURCES.has(source) ? source : 'invalid', outcome }, n);
  }

  countError(code: number): void {
    this.#errors.inc({ code: String(code) });
  }

  countRequest(group: string, method: string, status: number): void {
    this.#requests.inc({ group, method: METHODS.has(method) ? method : 'OTHER', status: String(status) });
  }

  /** One batch took `ms` milliseconds (measured with performance.now()). */
  observeBatch(source: string, ms: number): void {
    this.#batch.observe({ source: SOURCES.has(source) ? source : 'invalid' }, ms / 1000);
  }

  countDelivery(outcome: DeliveryOutcome): void {
    this.#deliveries.inc({ outcome });
  }

  /** The exposition text; gauges are sampled from the store and sessions now. */
  async render(store: ViewStore | null, sessions: SessionManager | null, dbPath: string | null): Promise<string> {
    this.#sampled.sample(store, sessions, dbPath, this.feedSource?.() ?? null);
    const cluster = this.clusterSource?.();
    if (cluster) (this.#cluster ??= new ClusterGauges(this.registry)).sample(cluster);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Gauges (and the feed-entries counter) whose values are read from the store at scrape time. */
class SampledGauges {
  readonly #sessions: Gauge<'view' | 'role'>;
  readonly #view: Record<'files' | 'dirs' | 'size' | 'suspects' | 'blind' | 'leader', Gauge<'view'>>;
  readonly #feedEntries: Counter<'view'>;
  readonly #feedClients: Gauge<'view'>;
  readonly #pendingDeliveries: Gauge;
  readonly #pendingSubtrees: Gauge;
  readonly #dbSize: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    const perView = (name: string, help: string) => new Gauge({ name, help, labelNames: ['view'], registers });
    this.#sessions = new Gauge({ name: 'fustor_sessions', help: 'Open sessions by view and role.', labelNames: ['view', 'role'], registers });
    this.#view = {
      files: perView('fustor_view_files', 'Files in the view.'),
      dirs: perView('fustor_view_dirs', 'Directories in the view.'),
      size: perView('fustor_view_total_size_bytes', 'Sum of file sizes in the view.'),
      suspects: perView('fustor_view_suspects', 'Integrity suspects (files possibly still being written) in the view.'),
      blind: perView('fustor_view_blind_spots', 'Blind-spot marks in the view.'),
      leader: perView('fustor_view_has_leader', '1 when the view has a leader session.'),
    };
    this.#feedEntries = new Counter({ name: 'fustor_feed_entries_total', help: 'Change-feed entries written, by view (the newest cursor).', labelNames: ['view'], registers });
    this.#feedClients = perView('fustor_feed_clients', 'SSE readers of the change feed, by view.');
    this.#pendingDeliveries = new Gauge({ name: 'fustor_webhook_pending_deliveries', help: 'Webhook deliveries queued or waiting for a retry.', registers });
    this.#pendingSubtrees = new Gauge({ name: 'fustor_subscription_pending_subtrees', help: 'Subtrees changed and not yet reported stable.', registers });
    this.#dbSize = new Gauge({ name: 'fustor_db_size_bytes', help: 'SQLite database plus WAL size.', registers });
  }

  sample(store: ViewStore | null, sessions: SessionManager | null, dbPath: string | null, feed: FeedFigures | null): void {
    // reset first: a view removed by a reload must not keep reporting its last values
    for (const g of [this.#sessions, ...Object.values(this.#view), this.#feedClients]) g.reset();
    this.#feedEntries.reset();
    if (store && sessions) {
      for (const v of store.views()) {
        const all = sessions.sessionsOf(v.id);
        const leaders = all.filter((s) => s.rec.role === 'leader').length;
        const c = v.counters();
        this.#sessions.set({ view: v.id, role: 'leader' }, leaders);
        this.#sessions.set({ view: v.id, role: 'follower' }, all.length - leaders);
        this.#view.files.set({ view: v.id }, c.file_count);
        this.#view.dirs.set({ view: v.id }, c.dir_count);
        this.#view.size.set({ view: v.id }, c.total_size);
        this.#view.suspects.set({ view: v.id }, c.suspect_count);
        this.#view.blind.set({ view: v.id }, c.blind_spot_count);
        this.#view.leader.set({ view: v.id }, leaders > 0 ? 1 : 0);
      }
    }
    if (store) for (const v of store.views()) this.#feedEntries.inc({ view: v.id }, v.feedBounds().latest);
    if (feed) {
      for (const [view, n] of feed.clients) this.#feedClients.set({ view }, n);
      this.#pendingDeliveries.set(feed.pendingDeliveries);
      this.#pendingSubtrees.set(feed.pendingSubtrees);
    }
    if (dbPath && dbPath !== ':memory:') this.#dbSize.set(dbFileSize(dbPath));
  }
}

function dbFileSize(dbPath: string): number {
  let size = 0;
  for (const f of [dbPath, `${dbPath}-wal`]) {
    try {
      size += statSync(f).size;
    } catch {
      // the WAL file comes and goes with checkpoints
    }
  }
  return size;
}
