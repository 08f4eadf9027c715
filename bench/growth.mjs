#!/usr/bin/env node
// Growth curve: the P-targets that depend on tree size, at 100k / 1M / 5M files (and 10M with --ten-million), and a chart.
//
// node bench/growth.mjs [--sizes=100000,1000000,5000000] [--ten-million] [--p3-sizes=100000,1000000] [--tree=DIR] [--quick]
//
// Per size, against a real Fusion child over loopback HTTP (fresh home each size):
//   load     the view is filled by snapshot batches of 5,000 entries in the compact encoding (what the agent
//            sends; generated as events: 100 files per directory, 100 top directories, 40 owners), one
//            session, each batch answered (= durably committed) before the next: ingest rate in files/s
//   P1       realtime batches of 1,000 upserts (25% modify, 75% new, spread over the tree) into that view
//   P5       GET /stats on / and on 500 random directories: p50/p99
//   P6       GET /search *.dat on / (first page + exact total) and f1*.dat: p95
//   P13      GET usage / top / histogram on /: p95 of 10 each
//   P8/P7    SIGKILL, restart: spawn → /readyz 200 (log replayed), then RSS per file = (RSS loaded − RSS of an
//            empty Fusion) / files, and fusion.db size
//   P3       a real agent walking a real tree vs find (bench/e2e.mjs --only=p3 --files=N), for --p3-sizes only
//            (trees are generated, ~75 s and 3.8 GB per million files; --tree=DIR keeps them)
// Writes bench/results/growth.json and docs/img/growth.svg (ingest rate, bytes per file, query latency vs size).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { LISTINGS_CONTENT_TYPE } from '../packages/protocol/dist/index.js';
import { encodeListings, listingBatchBody } from '../packages/protocol/dist/listing-codec.js';
import { seededRandom } from '../packages/test-helpers/dist/index.js';
import { cpuMs } from './_proc.mjs';
import { pct, round, startStack } from './_stack.mjs';
import { growthSvg } from './_growth-chart.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const arg = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? null;
const quick = argv.includes('--quick');
const list = (s) => s.split(',').map(Number).filter((n) => n > 0);
const SIZES = list(arg('sizes') ?? (quick ? '100000' : '100000,1000000,5000000'));
if (argv.includes('--ten-million') && !SIZES.includes(10_000_000)) SIZES.push(10_000_000);
const P3_SIZES = list(arg('p3-sizes') ?? (quick ? '' : '100000,1000000'));
const TREE = arg('tree');
const BATCH = 5000;
const PER_DIR = 100;
const OWNERS = 40;

const rssOf = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
const median = (xs) => pct(xs, 50);

/** Snapshot listings of `files` files: 100 top dirs, leaf dirs of PER_DIR files, owners skewed per directory. */
function* snapshotBatches(files, now) {
  const r = seededRandom(files);
  const old = now - 30 * 86_400_000; // older than any hot threshold: no suspects
  const leafDirs = Math.ceil(files / PER_DIR);
  const top = Math.min(100, leafDirs);
  let batch = [];
  let count = 0;
  const push = (l, n) => {
    batch.push(l);
    count += n;
  };
  const flush = function* () {
    if (batch.length) yield { listings: batch, count };
    batch = [];
    count = 0;
  };
  push(['/', old, now, [null, null, 0, 0, 0o755, old, null]], 1);
  for (let t = 0; t < top; t++) push([`/t${t}`, old, now, ['/', old, 0, 0, 0o755, old, null]], 1);
  let left = files;
  for (let d = 0; d < leafDirs; d++) {
    const dir = `/t${d % top}/d${d}`;
    const uid = 1000 + Math.floor(OWNERS * r() ** 2);
    const gid = 100 + (d % 8);
    const dm = old + d;
    const n = Math.min(PER_DIR, left);
    left -= n;
    const l = [dir, dm, now, [`/t${d % top}`, old, uid, gid, 0o2775, dm, null]];
    for (let f = 0; f < n; f++) {
      const mt = old - Math.floor(r() * 1e9);
      l.push(`f${f}.dat`, 0, Math.floor(r() * 2 ** 30), mt, r() < 0.9 ? uid : 1000 + Math.floor(r() * OWNERS), gid, 0o644, mt + 1000);
    }
    push(l, n + 1);
    if (count >= BATCH) yield* flush();
  }
  yield* flush();
}

async function postBody(pool, path, key, body, contentType) {
  const res = await pool.request({ method: 'POST', path, headers: { 'x-api-key': key, 'content-type': contentType }, body });
  const json = await res.body.json();
  if (res.statusCode !== 200 || json.code !== 0) throw new Error(`${path} → ${res.statusCode} ${JSON.stringify(json).slice(0, 300)}`);
  return json.data;
}

async function timeGets(pool, key, paths) {
  const ms = [];
  for (const p of paths) {
    const t0 = performance.now();
    const res = await pool.request({ method: 'GET', path: p, headers: { 'x-api-key': key } });
    await res.body.json();
    if (res.statusCode !== 200) throw new Error(`${p} → ${res.statusCode}`);
    ms.push(performance.now() - t0);
  }
  return ms;
}

async function measureSize(files) {
  const work = mkdtempSync(join(tmpdir(), 'fustor-growth-'));
  const now = Date.now();
  const out = { files, load_1m_at_start: round(loadavg()[0], 2) };
  const stack = await startStack(work, `g${files}`, { hotSec: 600 });
  let pool = new Pool(stack.url, { connections: 4 });
  try {
    out.rss_empty_bytes = rssOf(stack.fusion.child.pid);
    const sid = (await stack.call('POST', '/api/v1/pipe/sessions', stack.keys.ingest, { agent_id: 'growth', pipe_id: 'p', view: 'bench', scan_encodings: ['listings+msgpack', 'json'] })).session_id;
    const ev = `/api/v1/pipe/sessions/${sid}/events`;
    await stack.call('POST', `/api/v1/pipe/sessions/${sid}/snapshot/start`, stack.keys.ingest, {});
    // Bodies are packed ahead of the clock (the agent packs while the previous batch is on the wire).
    const bodies = [];
    let seq = 0;
    for (const b of snapshotBatches(files, now)) bodies.push(listingBatchBody({ message_source: 'snapshot', batch_seq: seq++ }, [encodeListings(b.listings)], b.listings.length));
    const c0 = cpuMs(stack.fusion.child.pid);
    const t0 = performance.now();
    for (const body of bodies) await postBody(pool, ev, stack.keys.ingest, body, LISTINGS_CONTENT_TYPE);
    const loadMs = performance.now() - t0;
    bodies.length = 0;
    await stack.call('POST', `/api/v1/pipe/sessions/${sid}/snapshot/end`, stack.keys.ingest, { complete: true });
    const root = await stack.call('GET', '/api/v1/views/bench/stats?path=/', stack.keys.read);
    if (root.file_count !== files) throw new Error(`view holds ${root.file_count} files, expected ${files}`);
    out.load = { value: Math.round(files / (loadMs / 1000)), unit: 'files/s', ms: Math.round(loadMs), fusion_cpu_ms: cpuMs(stack.fusion.child.pid) - c0 };
    console.log(`growth ${files}: snapshot load ${out.load.value} files/s (${out.load.ms} ms, Fusion CPU ${out.load.fusion_cpu_ms} ms)`);

    // P1: realtime batches of 1,000 into the loaded view.
    const r = seededRandom(files + 1);
    const leafDirs = Math.ceil(files / PER_DIR);
    const top = Math.min(100, leafDirs);
    const p1Batches = quick ? 30 : 60;
    const rtBodies = [];
    for (let b = 0; b < p1Batches; b++) {
      const events = [];
      for (let i = 0; i < 1000; i++) {
        const d = Math.floor(r() * leafDirs);
        const name = r() < 0.25 ? `f${Math.floor(r() * PER_DIR)}.dat` : `rt${b}_${i}.dat`;
        events.push({ op: 'upsert', path: `/t${d % top}/d${d}/${name}`, is_dir: false, size: 1, mtime_ms: now - 1000, observed_at_ms: now });
      }
      rtBodies.push(JSON.stringify({ message_source: 'realtime', batch_seq: seq++, events }));
    }
    const rt0 = performance.now();
    for (const body of rtBodies) await postBody(pool, ev, stack.keys.ingest, body, 'application/json');
    out.p1 = { value: Math.round((p1Batches * 1000) / ((performance.now() - rt0) / 1000)), unit: 'events/s', target: '>= 100000', ok: null };
    out.p1.ok = out.p1.value >= 100_000;
    console.log(`growth ${files}: P1 realtime ${out.p1.value} events/s`);

    // P5, P6, P13 over HTTP.
    const q = (p) => `/api/v1/views/bench${p}`;
    const dirs = Array.from({ length: 500 }, () => {
      const d = Math.floor(r() * leafDirs);
      return q(`/stats?path=${encodeURIComponent(`/t${d % top}/d${d}`)}`);
    });
    const statsMs = await timeGets(pool, stack.keys.read, [...Array(100).fill(q('/stats?path=/')), ...dirs]);
    out.p5 = { value: round(pct(statsMs, 99), 2), unit: 'ms p99', p50: round(pct(statsMs, 50), 2), target: '<= 5', ok: pct(statsMs, 99) <= 5 };
    const reps = quick ? 5 : 10;
    const s1 = await timeGets(pool, stack.keys.read, Array(reps).fill(q('/search?path=/&pattern=*.dat&page_size=100')));
    const s2 = await timeGets(pool, stack.keys.read, Array(reps).fill(q('/search?path=/&pattern=f1*.dat&page_size=100')));
    out.p6 = { value: round(pct(s1, 95), 1), unit: 'ms p95 (*.dat)', f1_glob_p95_ms: round(pct(s2, 95), 1), target: '<= 300', ok: pct(s1, 95) <= 300 && pct(s2, 95) <= 300 };
    const rep = {};
    for (const [name, path] of [['usage', '/usage?path=/&by=owner'], ['top', '/top?path=/&limit=100&by=size'], ['histogram', '/histogram?path=/&of=size']]) {
      rep[name] = round(pct(await timeGets(pool, stack.keys.read, Array(reps).fill(q(path))), 95), 1);
    }
    out.p13 = { value: Math.max(rep.usage, rep.top, rep.histogram), unit: 'ms p95 (worst of three)', ...rep, target: '<= 200', ok: Math.max(rep.usage, rep.top, rep.histogram) <= 200 };
    console.log(`growth ${files}: P5 stats p99 ${out.p5.value} ms, P6 search p95 ${out.p6.value} / ${out.p6.f1_glob_p95_ms} ms, P13 ${JSON.stringify(rep)} ms`);

    // P8 and P7: kill -9, restart (the node log is replayed), RSS of the loaded process.
    await pool.close();
    const restartMs = await stack.restartFusion('SIGKILL');
    pool = new Pool(stack.url, { connections: 4 });
    const after = await stack.call('GET', '/api/v1/views/bench/stats?path=/', stack.keys.read);
    out.p8 = { value: round(restartMs / 1000, 2), unit: 's spawn → ready', target: files <= 1_000_000 ? '<= 5' : '(5 s is for 1M)', ok: files <= 1_000_000 ? restartMs <= 5000 : null };
    const rss = rssOf(stack.fusion.child.pid);
    const nodes = after.file_count + after.dir_count;
    out.p7 = { value: Math.round((rss - out.rss_empty_bytes) / nodes), unit: 'bytes/file', rss_bytes: rss, rss_empty_bytes: out.rss_empty_bytes, target: '<= 250', ok: (rss - out.rss_empty_bytes) / nodes <= 250 };
    // The database with its WAL (up to 32 MiB of the last commits are still only there).
    const size = (f) => {
      try {
        return statSync(join(stack.home, f)).size;
      } catch {
        return 0;
      }
    };
    out.db_bytes = size('fusion.db') + size('fusion.db-wal');
    out.db_bytes_per_file = Math.round(out.db_bytes / nodes);
    out.load_1m_at_end = round(loadavg()[0], 2);
    console.log(`growth ${files}: P8 restart ${out.p8.value} s, P7 ${out.p7.value} bytes/file (RSS ${Math.round(rss / 1e6)} MB), fusion.db ${Math.round(out.db_bytes / 1e6)} MB`);
  } finally {
    await pool.close().catch(() => undefined);
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

/** P3 at `files` through bench/e2e.mjs (real agent, real tree, find beside each run). */
function measureP3(files) {
  return new Promise((resolve) => {
    const args = [join(HERE, 'e2e.mjs'), '--only=p3', `--files=${files}`, ...(TREE ? [`--tree=${TREE}`] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on('close', () => {
      const line = out.split('\n').filter((l) => l.startsWith('RESULT ')).pop();
      const r = line ? JSON.parse(line.slice(7)).p3_snapshot_end_to_end : { error: 'no RESULT' };
      resolve(r?.p3 ? { ...r.p3, files } : { error: r?.error ?? 'failed', files });
    });
  });
}

const result = { sizes: [], p3: [], load_1m_at_start: round(loadavg()[0], 2) };
for (const n of SIZES) result.sizes.push(await measureSize(n));
for (const n of P3_SIZES) result.p3.push(await measureP3(n));
result.load_1m_at_end = round(loadavg()[0], 2);

const resultsDir = join(HERE, 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, quick ? 'growth-quick.json' : 'growth.json'), JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2) + '\n');
if (!quick) {
  const img = join(HERE, '..', 'docs', 'img');
  mkdirSync(img, { recursive: true });
  writeFileSync(join(img, 'growth.svg'), growthSvg(result));
  console.log(`wrote docs/img/growth.svg`);
}
// The summary run.mjs tabulates: per size one row per target.
const summary = {};
for (const s of result.sizes) {
  summary[`${s.files}`] = { load: s.load, p1: s.p1, p5: s.p5, p6: s.p6, p7: s.p7, p8: s.p8, p13: s.p13, db_bytes_per_file: s.db_bytes_per_file };
}
for (const p of result.p3) summary[`${p.files}`] = { ...(summary[`${p.files}`] ?? {}), p3: p };
console.log(`RESULT ${JSON.stringify(summary)}`);
