#!/usr/bin/env node
// On-demand scans under load: 50 concurrent `tree?force_real_time=true` queries against one agent.
// Measures the agent's peak RSS and the queries' latency (p50/p95/max) for two shapes of load:
// `same_path` (50 queries of `/`) and `distinct_paths` (one query per top directory, 50 paths).
//
// FUSTOR_BENCH_BASELINE=<checkout>  also runs another checkout's built CLIs (e.g. a worktree of main)
// in the same run and reports candidate/baseline ratios.
// FUSTOR_BENCH_CANDIDATE_FUSION=<checkout>  runs the candidate agent against that checkout's Fusion, to
// separate the agent's scan queue from Fusion's joining of pending scans.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { seededRandom, waitFor } from '../packages/test-helpers/dist/index.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BASELINE = process.env.FUSTOR_BENCH_BASELINE ? resolve(process.env.FUSTOR_BENCH_BASELINE) : null;
const CANDIDATE_FUSION = process.env.FUSTOR_BENCH_CANDIDATE_FUSION ? resolve(process.env.FUSTOR_BENCH_CANDIDATE_FUSION) : REPO;
const quick = process.argv.includes('--quick');
const TOP = 50;
const SUB = quick ? 4 : 20;
const PER_DIR = quick ? 25 : 50;
const FILES = TOP * SUB * PER_DIR;
const QUERIES = 50;
const ROUNDS = quick ? 1 : 3;
const QUERY_TIMEOUT_MS = 60_000; // the protocol's maximum wait: a query still pending then counts at 60 s

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const round = (x, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function generate(root) {
  const rand = seededRandom(7);
  for (let t = 0; t < TOP; t++) {
    for (let s = 0; s < SUB; s++) {
      const dir = join(root, `top${String(t).padStart(2, '0')}`, `sub${String(s).padStart(2, '0')}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < PER_DIR; f++) writeFileSync(join(dir, `f${String(f).padStart(3, '0')}.dat`), Buffer.alloc(rand.int(64), 97));
    }
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

function launch(bin, home, logFile) {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [bin, 'start', '--home', home], { stdio: ['ignore', fd, fd], env: { ...process.env, FUSTOR_HOME: home } });
  closeSync(fd);
  const done = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, done };
}

async function stopProc(p) {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
  await p.done;
  clearTimeout(t);
}

async function getJson(url, key) {
  const res = await fetch(url, { headers: { 'X-API-Key': key } });
  const body = await res.json();
  if (res.status !== 200 || body.code !== 0) throw new Error(`${url} → ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

/** Resident set in kB from /proc: the current value and the peak since the last reset. */
function rssKb(pid) {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(st)?.[1] ?? NaN);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Resets the kernel's peak-RSS mark (Linux: clear_refs 5), so VmHWM is the peak of what follows. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Fusion + agent of one checkout on `dir`; resolves once the snapshot is in Fusion. */
async function startStack(checkout, fusionCheckout, work, dir, label) {
  const home = join(work, `home-${label}`);
  mkdirSync(join(home, 'logs'), { recursive: true });
  const fusionPort = await freePort();
  const ingestKey = `fk_ingest_${randomBytes(16).toString('hex')}`;
  const readKey = `fk_read_${randomBytes(16).toString('hex')}`;
  writeFileSync(join(home, 'fusion-config.yaml'), stringify({
    server: { host: '127.0.0.1', port: fusionPort },
    views: [{ id: 'bench' }],
    api_keys: [{ key: ingestKey, role: 'ingest', views: ['bench'] }, { key: readKey, role: 'read', views: ['bench'] }],
  }));
  writeFileSync(join(home, 'agent-config.yaml'), stringify({
    agent_id: `bench-${label}`,
    console: { enabled: false },
    sources: [{ id: 's', type: 'fs', config: { uri: dir } }],
    senders: [{ id: 'f', type: 'fusion', config: { endpoint: `http://127.0.0.1:${fusionPort}`, credential: ingestKey, view: 'bench' } }],
    // No periodic audit or sentinel: the on-demand scans are the only walks measured.
    pipes: [{ id: 'p', source_id: 's', sender_id: 'f', audit_interval_sec: 0, sentinel_interval_sec: 0 }],
  }));
  const url = `http://127.0.0.1:${fusionPort}`;
  const stack = { home, url, readKey, fusion: null, agent: null };
  stack.fusion = launch(join(fusionCheckout, 'packages/fusion/bin/fustor-fusion.js'), home, join(home, 'logs', 'fusion.out'));
  await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { what: 'fusion /readyz', timeoutMs: 60_000, retryErrors: true, intervalMs: 50 });
  stack.agent = launch(join(checkout, 'packages/agent/bin/fustor-agent.js'), home, join(home, 'logs', 'agent.out'));
  await waitFor(async () => {
    const s = await getJson(`${url}/api/v1/views/bench/stats?path=/`, readKey);
    return s.file_count >= FILES;
  }, { what: `the snapshot of ${FILES} files`, timeoutMs: 600_000, retryErrors: true, intervalMs: 100 });
  // Let the snapshot's garbage settle, so the RSS before the queries is the agent at rest.
  await sleep(2000);
  return stack;
}

/** One round: QUERIES concurrent force_real_time queries; latency of each, and the agent's peak RSS meanwhile. */
async function round1(stack, paths) {
  const pid = stack.agent.child.pid;
  const before = rssKb(pid).rss;
  const peakReset = resetPeak(pid);
  let sampledPeak = before;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      sampledPeak = Math.max(sampledPeak, rssKb(pid).rss);
      await sleep(20);
    }
  })();
  const t0 = Date.now();
  const results = await Promise.all(paths.map(async (p) => {
    const q0 = Date.now();
    const data = await getJson(`${stack.url}/api/v1/views/bench/tree?path=${encodeURIComponent(p)}&force_real_time=true&timeout_ms=${QUERY_TIMEOUT_MS}&depth=1&page_size=10`, stack.readKey);
    return { ms: Date.now() - q0, status: data.job?.status ?? 'none', id: data.job?.id ?? null };
  }));
  const wallMs = Date.now() - t0;
  sampling = false;
  await sampler;
  const hwm = peakReset ? rssKb(pid).hwm : sampledPeak;
  const ms = results.map((r) => r.ms);
  const statuses = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  // Let stragglers (scans answered after their query gave up) finish before the next round.
  await sleep(3000);
  return {
    p50_ms: pct(ms, 50),
    p95_ms: pct(ms, 95),
    max_ms: Math.max(...ms),
    wall_ms: wallMs,
    jobs: new Set(results.map((r) => r.id)).size,
    statuses,
    rss_before_mb: round(before / 1024),
    rss_peak_mb: round(Math.max(hwm, sampledPeak) / 1024),
  };
}

const SCENARIOS = {
  same_path: () => Array.from({ length: QUERIES }, () => '/'),
  distinct_paths: () => Array.from({ length: QUERIES }, (_, i) => `/top${String(i % TOP).padStart(2, '0')}`),
};

/** Median round for latency (one lucky or unlucky round flatters neither side), worst round for peak RSS. */
function summarize(rounds) {
  const med = (k) => [...rounds.map((r) => r[k])].sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
  return {
    p50_ms: med('p50_ms'),
    p95_ms: med('p95_ms'),
    max_ms: Math.max(...rounds.map((r) => r.max_ms)),
    rss_peak_mb: Math.max(...rounds.map((r) => r.rss_peak_mb)),
    rss_before_mb: rounds[0].rss_before_mb,
    answered_in_time: rounds.reduce((n, r) => n + (r.statuses.done ?? 0) + (r.statuses.failed ?? 0), 0),
    queries: rounds.length * QUERIES,
    rounds,
  };
}

async function measure(checkout, fusionCheckout, work, dir, label) {
  const out = {};
  for (const [name, paths] of Object.entries(SCENARIOS)) {
    // A fresh stack per scenario: the peak of one must not carry into the next.
    const stack = await startStack(checkout, fusionCheckout, work, dir, `${label}-${name}`);
    try {
      const rounds = [];
      for (let r = 0; r < ROUNDS; r++) {
        rounds.push(await round1(stack, paths()));
        console.log(`${label} ${name} round ${r + 1}: ${JSON.stringify(rounds.at(-1))}`);
      }
      out[name] = summarize(rounds);
    } catch (err) {
      err.message += `\n--- agent log ---\n${tail(join(stack.home, 'logs', 'agent.out'))}`;
      throw err;
    } finally {
      await stopProc(stack.agent);
      await stopProc(stack.fusion);
    }
  }
  return out;
}

function tail(file, n = 20) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'fustor-bench-ondemand-'));
  try {
    const dir = join(work, 'tree');
    generate(dir);
    console.log(`on-demand: ${FILES} files in ${TOP} top directories; ${QUERIES} concurrent queries, ${ROUNDS} round(s) per scenario`);
    const result = { files: FILES, queries: QUERIES, candidate_fusion: CANDIDATE_FUSION, candidate: await measure(REPO, CANDIDATE_FUSION, work, dir, 'candidate') };
    if (BASELINE) {
      result.baseline_checkout = BASELINE;
      result.baseline = await measure(BASELINE, BASELINE, work, dir, 'baseline');
      result.ratios = {};
      for (const name of Object.keys(SCENARIOS)) {
        const c = result.candidate[name];
        const b = result.baseline[name];
        result.ratios[name] = {
          p95: { value: c.p95_ms, baseline: b.p95_ms, ratio: round(c.p95_ms / b.p95_ms, 3) },
          rss_peak_mb: { value: c.rss_peak_mb, baseline: b.rss_peak_mb, ratio: round(c.rss_peak_mb / b.rss_peak_mb, 3) },
        };
      }
    }
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`on-demand bench failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
