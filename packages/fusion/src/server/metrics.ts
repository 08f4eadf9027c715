// Prometheus text exposition, hand-written: counters updated on the hot path, gauges sampled at scrape time.

import { statSync } from 'node:fs';
import type { SessionManager } from '../sessions/session-manager.js';
import type { ViewStore } from '../contract.js';

const LATENCY_BUCKETS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

export class Metrics {
  readonly startedAtMs = Date.now();
  readonly #events = new Map<string, number>();
  readonly #errors = new Map<number, number>();
  readonly #requests = new Map<string, number>();
  readonly #latency = new Map<string, { buckets: number[]; sum: number; count: number }>();

  readonly #deliveries = new Map<string, number>();
  countDelivery(outcome: 'delivered' | 'retry' | 'failed'): void {
    this.#deliveries.set(outcome, (this.#deliveries.get(outcome) ?? 0) + 1);
  }

  countEvents(source: string, outcome: 'accepted' | 'ignored' | 'duplicate' | 'rejected', n: number): void {
    if (n <= 0) return;
    const k = `${source}\0${outcome}`;
    this.#events.set(k, (this.#events.get(k) ?? 0) + n);
  }
  countError(code: number): void {
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
  }
  countRequest(group: string): void {
    this.#requests.set(group, (this.#requests.get(group) ?? 0) + 1);
  }
  observeBatch(source: string, ms: number): void {
    let h = this.#latency.get(source);
    if (!h) this.#latency.set(source, (h = { buckets: LATENCY_BUCKETS_MS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) if (ms <= LATENCY_BUCKETS_MS[i]!) h.buckets[i]!++;
    h.sum += ms;
    h.count++;
  }

  /** Change-feed and webhook gauges sampled at scrape time. */
  feedSource: (() => { clients: Map<string, number>; pendingDeliveries: number; pendingSubtrees: number }) | null = null;

  render(store: ViewStore | null, sessions: SessionManager | null, dbPath: string | null): string {
    const out: string[] = [];
    const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const head = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

    head('fustor_process_start_time_seconds', 'gauge', 'Start time of the Fusion process.');
    out.push(`fustor_process_start_time_seconds ${this.startedAtMs / 1000}`);
    head('fustor_process_resident_memory_bytes', 'gauge', 'Resident set size.');
    out.push(`fustor_process_resident_memory_bytes ${process.memoryUsage.rss()}`);

    head('fustor_events_total', 'counter', 'Events received, by message source and outcome.');
    for (const [k, v] of this.#events) {
      const [source, outcome] = k.split('\0');
      out.push(`fustor_events_total{source="${esc(source!)}",outcome="${outcome}"} ${v}`);
    }
    head('fustor_http_errors_total', 'counter', 'Error answers by API code.');
    for (const [code, v] of this.#errors) out.push(`fustor_http_errors_total{code="${code}"} ${v}`);

    head('fustor_batch_apply_ms', 'histogram', 'Time to validate, apply and commit one event batch.');
    for (const [source, h] of this.#latency) {
      LATENCY_BUCKETS_MS.forEach((le, i) => out.push(`fustor_batch_apply_ms_bucket{source="${esc(source)}",le="${le}"} ${h.buckets[i]}`));
      out.push(`fustor_batch_apply_ms_bucket{source="${esc(source)}",le="+Inf"} ${h.count}`);
      out.push(`fustor_batch_apply_ms_sum{source="${esc(source)}"} ${h.sum}`);
      out.push(`fustor_batch_apply_ms_count{source="${esc(source)}"} ${h.count}`);
    }

    if (store && sessions) {
      head('fustor_sessions', 'gauge', 'Open sessions by view and role.');
      head('fustor_view_files', 'gauge', 'Files in the view.');
      head('fustor_view_dirs', 'gauge', 'Directories in the view.');
      head('fustor_view_total_size_bytes', 'gauge', 'Sum of file sizes in the view.');
      head('fustor_view_suspects', 'gauge', 'Integrity suspects in the view.');
      head('fustor_view_blind_spots', 'gauge', 'Blind-spot marks in the view.');
      head('fustor_view_has_leader', 'gauge', '1 when the view has a leader session.');
      for (const v of store.views()) {
        const id = esc(v.id);
        const all = sessions.sessionsOf(v.id);
        const leaders = all.filter((s) => s.rec.role === 'leader').length;
        const c = v.counters();
        out.push(`fustor_sessions{view="${id}",role="leader"} ${leaders}`);
        out.push(`fustor_sessions{view="${id}",role="follower"} ${all.length - leaders}`);
        out.push(`fustor_view_files{view="${id}"} ${c.file_count}`);
        out.push(`fustor_view_dirs{view="${id}"} ${c.dir_count}`);
        out.push(`fustor_view_total_size_bytes{view="${id}"} ${c.total_size}`);
        out.push(`fustor_view_suspects{view="${id}"} ${c.suspect_count}`);
        out.push(`fustor_view_blind_spots{view="${id}"} ${c.blind_spot_count}`);
        out.push(`fustor_view_has_leader{view="${id}"} ${leaders > 0 ? 1 : 0}`);
      }
    }
    head('fustor_webhook_deliveries_total', 'counter', 'Webhook delivery attempts by outcome (delivered, retry, failed).');
    for (const [k, v] of this.#deliveries) out.push(`fustor_webhook_deliveries_total{outcome="${k}"} ${v}`);
    const feed = this.feedSource?.();
    if (feed) {
      head('fustor_feed_clients', 'gauge', 'SSE readers of the change feed, by view.');
      for (const [view, n] of feed.clients) out.push(`fustor_feed_clients{view="${esc(view)}"} ${n}`);
      head('fustor_webhook_pending_deliveries', 'gauge', 'Webhook deliveries queued or waiting for a retry.');
      out.push(`fustor_webhook_pending_deliveries ${feed.pendingDeliveries}`);
      head('fustor_subscription_pending_subtrees', 'gauge', 'Subtrees changed and not yet reported stable.');
      out.push(`fustor_subscription_pending_subtrees ${feed.pendingSubtrees}`);
    }
    if (store) {
      head('fustor_feed_entries_total', 'counter', 'Change-feed entries written, by view (the newest cursor).');
      for (const v of store.views()) out.push(`fustor_feed_entries_total{view="${esc(v.id)}"} ${v.feedBounds().latest}`);
    }
    if (dbPath && dbPath !== ':memory:') {
      let size = 0;
      for (const f of [dbPath, `${dbPath}-wal`]) {
        try {
          size += statSync(f).size;
        } catch {
          // the WAL file comes and goes with checkpoints
        }
      }
      head('fustor_db_size_bytes', 'gauge', 'SQLite database plus WAL size.');
      out.push(`fustor_db_size_bytes ${size}`);
    }
    return out.join('\n') + '\n';
  }
}
