#!/usr/bin/env node
// P1/P2 ingest throughput: a real Fusion child process, batches of 1,000 upserts over loopback HTTP (undici,
// keep-alive), each awaited (durably committed). Baseline: the same requests against a bare echo server.
//
// Usage: node bench/ingest.mjs [--quick] [--profile DIR] [--against DIR]
//   --profile DIR  V8 CPU profile of each Fusion child into DIR
//   --against DIR  also time P1 on another built checkout (e.g. the previous release, `git worktree add DIR <tag>`
//                  then `npm ci && npm run build` there), alternating with this tree, and report this/that.

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { seededRandom } from '../packages/test-helpers/dist/index.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const profileDir = argv.includes('--profile') ? resolve(argv[argv.indexOf('--profile') + 1] ?? 'prof') : null;
const againstDir = argv.includes('--against') ? resolve(argv[argv.indexOf('--against') + 1] ?? '') : null;
const RUNS = quick ? 3 : 5;
const BATCHES_PER_RUN = quick ? 60 : 150;
const BATCH = 1000;
const P2_SESSIONS = 8;
const P2_BATCHES_PER_SESSION = quick ? 15 : 40;
/** Directories events fall in: TOP × SUB per run prefix (10,000), as a watched tree spreads its writes. */
const TOP = 100;
const SUB = 100;
/** Share of realtime events that modify a file sent earlier in the run (the rest create new files). */
const MODIFY_SHARE = 0.25;
const BIN = fileURLToPath(new URL('../packages/fusion/bin/fustor-fusion.js', import.meta.url));
const INGEST = 'fk_bench_ingest_0000000000000';
const ADMIN = 'fk_bench_admin_00000000000000';

/**
 * Pre-serialized-ready batch bodies so the client's own JSON work does not count against Fusion.
 * Paths spread over TOP × SUB directories under `prefix`; realtime mtimes are 0.2–5 s before
 * `observed_at_ms` (a notification follows its write), or with `wide` spread over ten days (files
 * copied with old mtimes, `touch -d`), which exercises the skew histogram's bound.
 */
function makeBodies(count, prefix, source, rng, { wide = false } = {}) {
  const bodies = [];
  const now = Date.now();
  const sent = [];
  let n = 0;
  for (let b = 0; b < count; b++) {
    const events = [];
    for (let i = 0; i < BATCH; i++) {
      let path;
      if (source === 'realtime' && sent.length > 1000 && rng() < MODIFY_SHARE) path = sent[Math.floor(rng() * sent.length)];
      else {
        path = `${prefix}/t${Math.floor(rng() * TOP)}/s${Math.floor(rng() * SUB)}/f${n++}.dat`;
        if (source === 'realtime') sent.push(path);
      }
      const e = { op: 'upsert', path, is_dir: false, size: Math.floor(rng() * 1e9), mtime_ms: 0 };
      if (source === 'realtime') {
        e.mtime_ms = wide ? now - Math.floor(rng() * 864_000_000) : now - 200 - Math.floor(rng() * 4800);
        e.observed_at_ms = now;
      } else {
        e.mtime_ms = 1_700_000_000_000 + Math.floor(rng() * 1e9);
      }
      if (source === 'audit') {
        e.parent_path = path.slice(0, path.lastIndexOf('/'));
        e.parent_mtime_ms = 1_700_000_000_000;
      }
      events.push(e);
    }
    bodies.push({ source, events });
  }
  return bodies;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function startFusion(home, synchronous, bin = BIN) {
  writeFileSync(
    join(home, 'fusion-config.yaml'),
    `server: { host: 127.0.0.1, port: 0, max_body_mb: 32 }\nstorage: { synchronous: ${synchronous} }\nlogging: { level: warn }\n` +
      `views: [{ id: v1 }, { id: v2 }]\napi_keys:\n  - { key: "${INGEST}", role: ingest }\n  - { key: "${ADMIN}", role: admin }\n`,
  );
  const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = spawn(process.execPath, [...prof, bin, 'start', '--home', home], { stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const port = Number.parseInt(readFileSync(join(home, 'fusion.port'), 'utf8'), 10);
      if (port > 0) return { child, url: `http://127.0.0.1:${port}` };
    } catch {}
    if (Date.now() > deadline) throw new Error('fusion did not start');
    await sleep(50);
  }
}

async function stopFusion(fusion) {
  fusion.child.kill('SIGTERM');
  await new Promise((r) => fusion.child.once('exit', r));
}

async function request(pool, method, path, body) {
  const res = await pool.request({
    method,
    path,
    headers: { 'content-type': 'application/json', 'x-api-key': INGEST },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
  return JSON.parse(text).data;
}

/** One session posting `bodies` one at a time; returns events/s. */
async function postSequential(pool, sid, bodies) {
  const payloads = bodies.map((b, i) => JSON.stringify({ message_source: b.source, batch_seq: i, events: b.events }));
  const t0 = performance.now();
  for (const p of payloads) await request(pool, 'POST', `/api/v1/pipe/sessions/${sid}/events`, p);
  return (payloads.length * BATCH) / ((performance.now() - t0) / 1000);
}

/** Server-side validate+apply+commit time per realtime batch (sum in ms, count) from Fusion's own histogram (in seconds). */
async function serverApply(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const num = (name) => Number(/\S+ (\S+)$/.exec(text.split('\n').find((l) => l.startsWith(`${name}{source="realtime"}`)) ?? 'x NaN')[1]);
  return { sum: num('fustor_batch_apply_seconds_sum') * 1000, count: num('fustor_batch_apply_seconds_count') };
}

async function echoBaseline(bodies) {
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ code: 0, message: 'success', data: { accepted: body.events.length, ignored: 0, batch_seq: body.batch_seq, duplicate: false } }));
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const pool = new Pool(`http://127.0.0.1:${srv.address().port}`, { connections: 1, pipelining: 1 });
  const rates = [];
  for (let r = 0; r < RUNS; r++) rates.push(await postSequential(pool, 'x', bodies));
  await pool.close();
  srv.close();
  return median(rates);
}

/** P1: `RUNS` fresh sessions on v1, each posting BATCHES_PER_RUN realtime batches; returns rates and server ms/batch. */
async function p1Series(fusion, pool, rng, label, opts) {
  const before = await serverApply(fusion.url);
  const rates = [];
  for (let r = 0; r < RUNS; r++) {
    const s = await request(pool, 'POST', '/api/v1/pipe/sessions', { agent_id: `${label}-${r}`, pipe_id: 'p', view: 'v1', session_timeout_sec: 600 });
    rates.push(await postSequential(pool, s.session_id, makeBodies(BATCHES_PER_RUN, `/${label}r${r}`, 'realtime', rng, opts)));
  }
  const after = await serverApply(fusion.url);
  return { rates, median: median(rates), applyMs: (after.sum - before.sum) / (after.count - before.count) };
}

async function withFusion(synchronous, fn, bin = BIN) {
  const home = mkdtempSync(join(tmpdir(), 'fustor-bench-ingest-'));
  let fusion;
  let pool;
  try {
    fusion = await startFusion(home, synchronous, bin);
    pool = new Pool(fusion.url, { connections: 16, pipelining: 1, keepAliveTimeout: 60_000 });
    // Warm-up (JIT, connections), not counted.
    const warm = await request(pool, 'POST', '/api/v1/pipe/sessions', { agent_id: 'warm', pipe_id: 'p', view: 'v2', session_timeout_sec: 600 });
    await postSequential(pool, warm.session_id, makeBodies(20, '/warm', 'realtime', seededRandom(1)));
    return await fn(fusion, pool);
  } finally {
    await pool?.close();
    if (fusion) await stopFusion(fusion);
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * P1 on this tree and on another checkout, alternated (this, that, this, that, ...) so drift in the
 * machine's load falls on both; each round is a fresh Fusion and one p1Series median.
 */
async function compareWith(dir, rng) {
  const other = join(dir, 'packages/fusion/bin/fustor-fusion.js');
  const mine = [];
  const theirs = [];
  const rounds = quick ? 2 : 3;
  for (let i = 0; i < rounds; i++) {
    mine.push(Math.round(await withFusion('normal', (f, p) => p1Series(f, p, rng, `cm${i}`, {}), BIN).then((s) => s.median)));
    theirs.push(Math.round(await withFusion('normal', (f, p) => p1Series(f, p, rng, `ct${i}`, {}), other).then((s) => s.median)));
  }
  return { this: mine, that: theirs, ratio: +(median(mine) / median(theirs)).toFixed(3) };
}

async function main() {
  const rng = seededRandom(42);
  const fmt = (s) => `runs: ${s.rates.map((x) => Math.round(x)).join(', ')}  median ${Math.round(s.median)}  server ${s.applyMs.toFixed(2)} ms/batch`;

  const normal = await withFusion('normal', async (fusion, pool) => {
    const real = await p1Series(fusion, pool, rng, 'p1', {});
    const wide = await p1Series(fusion, pool, rng, 'p1w', { wide: true });

    // P2: 8 sessions on 2 views (the first of each view leads and sends audit batches, the rest realtime), all at once.
    const sessions = [];
    for (let i = 0; i < P2_SESSIONS; i++) {
      const view = i % 2 === 0 ? 'v1' : 'v2';
      const s = await request(pool, 'POST', '/api/v1/pipe/sessions', { agent_id: `p2-${i}`, pipe_id: 'p', view, session_timeout_sec: 600 });
      sessions.push({ ...s, source: s.role === 'leader' ? 'audit' : 'realtime' });
    }
    for (const s of sessions) if (s.source === 'audit') await request(pool, 'POST', `/api/v1/pipe/sessions/${s.session_id}/audit/start`, {});
    const work = sessions.map((s, i) => makeBodies(P2_BATCHES_PER_SESSION, `/p2s${i}`, s.source, rng));
    let errors = 0;
    const t0 = performance.now();
    await Promise.all(sessions.map((s, i) => postSequential(pool, s.session_id, work[i]).catch((e) => { errors++; console.error(e.message); })));
    const p2 = (P2_SESSIONS * P2_BATCHES_PER_SESSION * BATCH) / ((performance.now() - t0) / 1000);
    for (const s of sessions) if (s.source === 'audit') await request(pool, 'POST', `/api/v1/pipe/sessions/${s.session_id}/audit/end`, { complete: false });
    return { real, wide, p2, errors };
  });
  const full = await withFusion('full', (fusion, pool) => p1Series(fusion, pool, rng, 'p1f', {}));
  const baseline = await echoBaseline(makeBodies(BATCHES_PER_RUN, '/echo', 'realtime', rng));
  const against = againstDir ? await compareWith(againstDir, rng) : null;

  const { real, wide, p2, errors } = normal;
  console.log('ingest (events/s, batches of 1,000 upserts, loopback HTTP, each batch committed before the next)');
  console.log(`  P1 one session, realtime, synchronous=normal     ${fmt(real)}  (target >= 100000)`);
  console.log(`  P1 variant: mtimes spread over 10 days           ${fmt(wide)}`);
  console.log(`  P1 variant: storage.synchronous=full             ${fmt(full)}`);
  console.log(`  baseline: echo server, same requests  ${Math.round(baseline)}  -> fusion/echo ratio ${(real.median / baseline).toFixed(3)}`);
  console.log(`  P2 8 sessions / 2 views, mixed audit+realtime  ${Math.round(p2)}  errors ${errors}  (target >= 50000, no error)`);
  if (against) {
    console.log(`  P1 against ${againstDir}: this tree ${against.this.join(', ')}  that tree ${against.that.join(', ')}` +
      `  -> this/that ${against.ratio}`);
  }
  const ratio = (x) => +(x / baseline).toFixed(3);
  const result = {
    p1_events_per_s: { value: Math.round(real.median), target: 100000, baseline_echo_events_per_s: Math.round(baseline), ratio: ratio(real.median), pass: real.median >= 100000 },
    p1_wide_mtime_events_per_s: { value: Math.round(wide.median), ratio: ratio(wide.median) },
    p1_sync_full_events_per_s: { value: Math.round(full.median), ratio: ratio(full.median) },
    p2_events_per_s: { value: Math.round(p2), target: 50000, errors, pass: p2 >= 50000 && errors === 0 },
    server_apply_ms_per_batch: { normal: +real.applyMs.toFixed(2), wide_mtime: +wide.applyMs.toFixed(2), full: +full.applyMs.toFixed(2) },
    runs: RUNS,
    batches_per_run: BATCHES_PER_RUN,
    ...(against ? { p1_against: against } : {}),
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
