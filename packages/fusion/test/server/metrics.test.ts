// /metrics parsed by a strict text-format parser: contiguous families with one HELP and TYPE each, naming
// conventions (_total counters, _seconds and _bytes units), every family Fusion promises, and per-server registries.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, openSession, startFusion, upserts, type TestFusion } from './helpers.js';
import { parsePromText, type PromFamily } from './prom-text.js';
import { SseReader } from './sse-reader.js';

const FUSTOR_FAMILIES = [
  'fustor_events_total',
  'fustor_http_errors_total',
  'fustor_http_requests_total',
  'fustor_batch_apply_seconds',
  'fustor_sessions',
  'fustor_view_files',
  'fustor_view_dirs',
  'fustor_view_total_size_bytes',
  'fustor_view_suspects',
  'fustor_view_blind_spots',
  'fustor_view_has_leader',
  'fustor_db_size_bytes',
  'fustor_feed_clients',
  'fustor_feed_entries_total',
  'fustor_webhook_deliveries_total',
  'fustor_webhook_pending_deliveries',
  'fustor_subscription_pending_subtrees',
];

async function scrape(f: TestFusion): Promise<{ families: Map<string, PromFamily>; contentType: string | null }> {
  const res = await fetch(`${f.server.url}/metrics`);
  expect(res.status).toBe(200);
  return { families: parsePromText(await res.text()), contentType: res.headers.get('content-type') };
}

const value = (fams: Map<string, PromFamily>, name: string, labels: Record<string, string>): number | undefined =>
  [...fams.values()].flatMap((f) => f.samples).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('/metrics', () => {
  let f: TestFusion;
  let g: TestFusion;

  beforeAll(async () => {
    [f, g] = await Promise.all([startFusion(), startFusion()]);
    const { session_id } = await openSession(f.client, KEYS.ingest, { agent_id: 'm', pipe_id: 'p', view: 'research' });
    const r = await f.client.post(`/api/v1/pipe/sessions/${session_id}/events`, KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: upserts(5) });
    expect(r.status).toBe(200);
    expect((await f.client.get('/api/v1/views')).status).toBe(401);
  });
  afterAll(async () => {
    await Promise.all([f?.close(), g?.close()]);
  });

  it('parses strictly: each family contiguous with one HELP and one TYPE, no duplicate series', async () => {
    const { families, contentType } = await scrape(f);
    expect(contentType).toContain('text/plain');
    expect(contentType).toContain('version=0.0.4');
    for (const name of FUSTOR_FAMILIES) expect(families.has(name), name).toBe(true);
  });

  it('regression: the hand-written exposition printed every HELP/TYPE first and the samples after', () => {
    const interleaved = '# HELP a_total A.\n# TYPE a_total counter\n# HELP b B.\n# TYPE b gauge\na_total 1\nb 2\n';
    expect(() => parsePromText(interleaved)).toThrow(/contiguous/);
    expect(() => parsePromText('# HELP x X.\n# TYPE x gauge\nx 1\n# HELP x X.\n# TYPE x gauge\n')).toThrow(/again/);
    expect(() => parsePromText('x 1\n')).toThrow(/before its HELP/);
  });

  it('follows the naming conventions: counters end in _total, durations in _seconds, sizes in _bytes', async () => {
    const { families } = await scrape(f);
    for (const fam of families.values()) {
      if (fam.type === 'counter') expect(fam.name, 'counter').toMatch(/_total$/);
      expect(fam.name, 'milliseconds are not a base unit').not.toMatch(/_ms$|_ms_|_milliseconds/);
      if (!fam.name.startsWith('fustor_')) continue;
      if (fam.type !== 'counter') expect(fam.name).not.toMatch(/_total$/);
      if (/latency|duration|apply|time/.test(fam.name)) expect(fam.name).toMatch(/_seconds$/);
      if (/size|memory/.test(fam.name)) expect(fam.name).toMatch(/_bytes$/);
      expect(fam.help.length, `${fam.name} has help`).toBeGreaterThan(5);
    }
    expect(families.get('fustor_batch_apply_seconds')?.type).toBe('histogram');
  });

  it('counts events, batches, errors and HTTP requests by route group, method and status', async () => {
    const { families } = await scrape(f);
    expect(value(families, 'fustor_events_total', { source: 'realtime', outcome: 'accepted' })).toBe(5);
    expect(value(families, 'fustor_batch_apply_seconds_count', { source: 'realtime' })).toBe(1);
    expect(value(families, 'fustor_batch_apply_seconds_sum', { source: 'realtime' })).toBeLessThan(60);
    expect(value(families, 'fustor_http_errors_total', { code: '40101' })).toBe(1);
    expect(value(families, 'fustor_http_requests_total', { group: 'events', method: 'POST', status: '200' })).toBe(1);
    expect(value(families, 'fustor_http_requests_total', { group: 'queries', method: 'GET', status: '401' })).toBe(1);
    expect(value(families, 'fustor_http_requests_total', { group: 'sessions', method: 'POST', status: '200' })).toBe(1);
    expect(value(families, 'fustor_view_files', { view: 'research' })).toBe(5);
    expect(value(families, 'fustor_sessions', { view: 'research', role: 'leader' })).toBe(1);
    expect(value(families, 'fustor_view_has_leader', { view: 'other' })).toBe(0);
    expect(value(families, 'fustor_feed_entries_total', { view: 'research' })).toBe(5);
  });

  it('a request to an unknown path is counted as "unmatched", never by its path', async () => {
    await f.client.get('/no/such/route/12345');
    const { families } = await scrape(f);
    expect(value(families, 'fustor_http_requests_total', { group: 'unmatched', status: '404' })).toBe(1);
    const groups = new Set(families.get('fustor_http_requests_total')!.samples.map((s) => s.labels.group));
    expect([...groups].some((x) => x!.includes('/'))).toBe(false);
  });

  it('shows change-feed readers while they are connected', async () => {
    const sse = await SseReader.open(f.server.url, '/api/v1/views/research/changes', KEYS.read);
    try {
      const { families } = await scrape(f);
      expect(value(families, 'fustor_feed_clients', { view: 'research' })).toBe(1);
    } finally {
      sse.close();
    }
  });

  it('has the default process and event-loop metrics', async () => {
    const { families } = await scrape(f);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(families.has(name), name).toBe(true);
    }
  });

  it('two servers in one process keep separate registries', async () => {
    const { families } = await scrape(g);
    expect(value(families, 'fustor_events_total', { source: 'realtime', outcome: 'accepted' })).toBeUndefined();
    expect(value(families, 'fustor_view_files', { view: 'research' })).toBe(0);
    expect(families.has('process_start_time_seconds')).toBe(true);
  });
});
