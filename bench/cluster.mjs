#!/usr/bin/env node
// P14 (cluster.md): ingest on PostgreSQL vs SQLite in the same run, failover time after kill -9 of the owner, and the
// time a new owner takes to load a large view from PostgreSQL. Real processes, a throw-away PostgreSQL.
//
// node bench/cluster.mjs [--quick]      (needs `npx tsc -b` and Debian's postgresql package)

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { stringify } from 'yaml';
import { FUSION_BIN, freePort, pct, REPO, round, sleep, until } from './_stack.mjs';

const quick = process.argv.includes('--quick');
const BATCH = 1000;
const BATCHES = quick ? 60 : 150;
const RUNS = 3;
const LOAD_FILES = quick ? 100_000 : 1_000_000;
const LEASE_SEC = 5;

const { PgCluster } = await import(join(REPO, 'packages/test-helpers/dist/index.js'));

const work = mkdtempSync(join(tmpdir(), 'fustor-bench-cluster-'));
const keys = { ingest: `fk_ingest_${randomBytes(16).toString('hex')}`, admin: `fk_admin_${randomBytes(16).toString('hex')}` };
const procs = [];

async function node(name, storage, cluster) {
  const home = join(work, name);
  mkdirSync(home, { recursive: true });
  const port = await freePort();
  writeFileSync(
    join(home, 'fusion-config.yaml'),
    stringify({
      server: { host: '127.0.0.1', port, max_body_mb: 32 },
      storage,
      ...(cluster ? { cluster } : {}),
      views: [{ id: 'bench' }],
      api_keys: [
        { key: keys.ingest, role: 'ingest', views: ['bench'] },
        { key: keys.admin, role: 'admin' },
      ],
    }),
  );
  const fd = openSync(join(work, `${name}.log`), 'a');
  const child = spawn(process.execPath, [FUSION_BIN, 'start', '--home', home], { stdio: ['ignore', fd, fd], env: { ...process.env, FUSTOR_HOME: home } });
  closeSync(fd);
  procs.push(child);
  const url = `http://127.0.0.1:${port}`;
  await until(`${name} ready`, 60_000, async () => (await fetch(`${url}/readyz`)).status === 200);
  return { name, url, child, log: () => readFileSync(join(work, `${name}.log`), 'utf8') };
}

async function stop(n) {
  if (n.child.exitCode !== null || n.child.signalCode !== null) return;
  n.child.kill('SIGTERM');
  await new Promise((r) => n.child.once('exit', r));
}

/** One session posting `batches` realtime batches of BATCH new files, each awaited (durably committed): events/s. */
async function ingest(url, batches, prefix) {
  const pool = new Pool(url, { connections: 2 });
  const call = async (method, path, body) => {
    const r = await pool.request({ method, path, headers: { 'x-api-key': keys.ingest, 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const j = await r.body.json();
    if (r.statusCode !== 200) throw new Error(`${method} ${path} → ${r.statusCode} ${JSON.stringify(j)}`);
    return j.data;
  };
  const s = await call('POST', '/api/v1/pipe/sessions', { agent_id: `bench-${prefix}`, pipe_id: 'p', view: 'bench' });
  const bodies = Array.from({ length: batches }, (_, b) =>
    JSON.stringify({
      message_source: 'realtime',
      batch_seq: b,
      events: Array.from({ length: BATCH }, (_, i) => ({ op: 'upsert', path: `/${prefix}/d${b % 100}/f${b}-${i}`, is_dir: false, size: i, mtime_ms: 1_700_000_000_000 + i, kind: 'file', uid: 1000, gid: 100, mode: 0o644, ctime_ms: 1_700_000_000_000 })),
    }),
  );
  const t0 = performance.now();
  for (const body of bodies) {
    const r = await pool.request({ method: 'POST', path: `/api/v1/pipe/sessions/${s.session_id}/events`, headers: { 'x-api-key': keys.ingest, 'content-type': 'application/json' }, body });
    const text = await r.body.text();
    if (r.statusCode !== 200) throw new Error(`batch → ${r.statusCode} ${text}`);
  }
  const secs = (performance.now() - t0) / 1000;
  await pool.close();
  return (batches * BATCH) / secs;
}

const result = {};
let pg;
let pgNoFsync;
try {
  // PostgreSQL's defaults (fsync and synchronous_commit on): every 200 survives an OS crash, like SQLite's
  // `synchronous: full`. A second server with fsync off keeps what SQLite's default `normal` keeps (a crash of
  // the server process loses nothing: the WAL is written at commit, not flushed), so each is compared with
  // the SQLite mode that promises the same.
  pg = await PgCluster.start({ durable: true });
  pgNoFsync = await PgCluster.start();
  // ---- ingest: PostgreSQL vs SQLite, same requests, runs rotating over the four ---------------
  const targets = {
    sqlite_normal: await node('sqlite-normal', { path: 'fusion.db' }),
    sqlite_full: await node('sqlite-full', { path: 'fusion.db', synchronous: 'full' }),
    postgres: await node('pg-a', { backend: 'postgres', url: pg.url }, { node_id: 'a', lease_sec: LEASE_SEC }),
    postgres_no_fsync: await node('pg-c', { backend: 'postgres', url: pgNoFsync.url }, { node_id: 'c', lease_sec: LEASE_SEC }),
  };
  const pgNode = targets.postgres;
  const rates = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  for (let r = 0; r < RUNS; r++) for (const [k, n] of Object.entries(targets)) rates[k].push(await ingest(n.url, BATCHES, `${k}${r}`));
  for (const k of ['sqlite_normal', 'sqlite_full', 'postgres_no_fsync']) await stop(targets[k]);
  const med = (k) => pct(rates[k], 50);
  result.p14_ingest = {
    postgres_events_per_sec: Math.round(med('postgres')),
    sqlite_full_events_per_sec: Math.round(med('sqlite_full')),
    ratio_postgres_to_sqlite_full: round(med('postgres') / med('sqlite_full'), 2),
    postgres_no_fsync_events_per_sec: Math.round(med('postgres_no_fsync')),
    sqlite_events_per_sec: Math.round(med('sqlite_normal')),
    ratio_postgres_no_fsync_to_sqlite: round(med('postgres_no_fsync') / med('sqlite_normal'), 2),
    runs: RUNS,
    batches_per_run: BATCHES,
    target: '>= 100,000 events/s for one session, durable',
  };
  const i = result.p14_ingest;
  console.log(`P14 ingest, survives an OS crash: PostgreSQL ${i.postgres_events_per_sec} ev/s vs SQLite synchronous=full ${i.sqlite_full_events_per_sec} (${i.ratio_postgres_to_sqlite_full}×)`);
  console.log(`P14 ingest, survives a server crash: PostgreSQL fsync=off ${i.postgres_no_fsync_events_per_sec} ev/s vs SQLite synchronous=normal ${i.sqlite_events_per_sec} (${i.ratio_postgres_no_fsync_to_sqlite}×)`);

  // ---- load time: a big view, its owner killed, a new node loads it from PostgreSQL -------------
  await ingest(pgNode.url, Math.ceil(LOAD_FILES / BATCH), 'load');
  const b = await node('pg-b', { backend: 'postgres', url: pg.url }, { node_id: 'b', lease_sec: LEASE_SEC });
  const killedAt = Date.now();
  pgNode.child.kill('SIGKILL');
  const servedAt = await until('node b to serve the view', 120_000, async () => {
    const r = await fetch(`${b.url}/api/v1/views/bench/stats?path=/`, { headers: { 'x-api-key': keys.admin } });
    return r.status === 200 ? Date.now() : undefined;
  }, 50);
  const loadMs = Number(/"msg":"serving view".*?"load_ms":(\d+)/.exec(b.log())?.[1] ?? NaN);
  const files = (await (await fetch(`${b.url}/api/v1/views/bench/stats?path=/`, { headers: { 'x-api-key': keys.admin } })).json()).data.file_count;
  result.p14_failover = {
    lease_sec: LEASE_SEC,
    failover_ms: servedAt - killedAt,
    view_files: files,
    load_ms: loadMs,
    target: `failover <= lease_sec + 5 s (${(LEASE_SEC + 5) * 1000} ms); a 1M-file view loaded by a new owner <= 10 s`,
  };
  console.log(`P14 failover: kill -9 of the owner → served by node b after ${result.p14_failover.failover_ms} ms (lease ${LEASE_SEC} s); load of ${files} files from PostgreSQL ${loadMs} ms`);
  // Disk per file (scale.md): the tables with the view's blobs, indexes and TOAST included; the feed holds one
  // entry per event written (ingest runs and the load), so it is counted per file as well.
  const sizes = Object.fromEntries(['node_chunks', 'node_log', 'feed'].map((t) => [t, Number(pg.psql(`SELECT pg_total_relation_size('${t}')`))]));
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  result.p14_disk = { bytes_per_file: round(total / files, 1), ...Object.fromEntries(Object.entries(sizes).map(([t, v]) => [`${t}_bytes_per_file`, round(v / files, 1)])) };
  console.log(`P14 disk: ${result.p14_disk.bytes_per_file} bytes per file in PostgreSQL (${Object.entries(sizes).map(([t, v]) => `${t} ${round(v / files, 1)}`).join(', ')})`);
  await stop(b);
} catch (err) {
  result.error = err.message;
  console.error(err);
} finally {
  for (const c of procs) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sleep(300);
  pg?.destroy();
  pgNoFsync?.destroy();
  rmSync(work, { recursive: true, force: true });
}
console.log(`RESULT ${JSON.stringify(result)}`);
if (result.error) process.exit(1);
