#!/usr/bin/env node
// End-to-end benchmarks with real processes: P3 (agent start → Fusion stats shows every file, vs. find) and P4 (realtime latency).

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { seededRandom, waitFor } from '../packages/test-helpers/dist/index.js';
import { cpuMs, cpuTimes, threadCpu, waits } from './_proc.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The CLIs of a checkout (built). */
const binsOf = (root) => ({ fusion: join(root, 'packages/fusion/bin/fustor-fusion.js'), agent: join(root, 'packages/agent/bin/fustor-agent.js') });
// FUSTOR_BENCH_AGENT_BIN: another agent build for A/B comparisons (default: this checkout's).
const CURRENT = { ...binsOf(REPO), ...(process.env.FUSTOR_BENCH_AGENT_BIN ? { agent: process.env.FUSTOR_BENCH_AGENT_BIN } : {}) };
// FUSTOR_BENCH_AGENT_FLAGS / FUSTOR_BENCH_FUSION_FLAGS: node flags for this build's daemons only (e.g. a V8 flag A/B
// against FUSTOR_BENCH_BASELINE=<this checkout>).
const flagsOf = (v) => (v ? v.split(' ').filter(Boolean) : []);
CURRENT.agentFlags = flagsOf(process.env.FUSTOR_BENCH_AGENT_FLAGS);
CURRENT.fusionFlags = flagsOf(process.env.FUSTOR_BENCH_FUSION_FLAGS);
// FUSTOR_BENCH_BASELINE=<checkout>: P3 runs that checkout's agent and Fusion too, alternating with this one.
const BASELINE = process.env.FUSTOR_BENCH_BASELINE ? binsOf(resolve(process.env.FUSTOR_BENCH_BASELINE)) : null;

const quick = process.argv.includes('--quick');
// --only=p3 or --only=p4 runs one of the two.
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? null;
// --files=N: P3 on a tree of N files (N / 100 directories), e.g. for the growth curve (bench/growth.mjs).
const FILES = Number(process.argv.find((a) => a.startsWith('--files='))?.slice(8) ?? (quick ? 100_000 : 1_000_000));
const dirsFor = (files) => Math.max(1, Math.round(files / 100));
const P4_OPS = 1_000;
const P4_RATE = 200; // ops per second
const WRITE_SETTLE_MS = 200;
const FIND_RUNS = 3;
const argValue = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? null;
// --runs=N: agent runs on the same warm tree; the median is reported.
const P3_RUNS = Number(argValue('runs') ?? 3);
// --tree=DIR: generate the P3 tree there once (a marker file says it is complete) and keep it for later runs.
const TREE_DIR = argValue('tree');
// FUSTOR_BENCH_CPU_PROF=DIR: V8 CPU profiles of every agent and Fusion child (and their threads) into DIR.
const PROF_DIR = process.env.FUSTOR_BENCH_CPU_PROF ? resolve(process.env.FUSTOR_BENCH_CPU_PROF) : null;

function generate(root, FILES) {
  const DIRS = dirsFor(FILES);
  const rand = seededRandom(42); // a deterministic tree from a fixed seed
  const perDir = Math.floor(FILES / DIRS);
  // Two levels: 100 (or fewer) top directories holding the leaf directories, like project/run folders.
  const top = Math.min(100, DIRS);
  let files = 0;
  for (let d = 0; d < DIRS; d++) {
    const dir = join(root, `p${String(d % top).padStart(3, '0')}`, `run${String(d).padStart(5, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < perDir; f++) {
      const size = Math.floor(rand() * 64);
      writeFileSync(join(dir, `f${String(f).padStart(4, '0')}.dat`), size ? Buffer.alloc(size, 97) : '');
      files++;
    }
  }
  return files;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits for `probe` to return a value other than undefined/false; a thrown error is "not yet" unless marked fatal (a crashed daemon). */
function until(what, timeoutMs, probe, intervalMs = 20) {
  return waitFor(async () => {
    const v = await probe();
    return v !== undefined && v !== false ? { v } : false;
  }, { what, timeoutMs, intervalMs, retryErrors: (err) => !err?.fatal }).then((r) => r.v);
}

function launch(bin, home, logFile, flags = []) {
  const fd = openSync(logFile, 'a');
  const prof = PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...prof, ...flags, bin, 'start', '--home', home], { stdio: ['ignore', fd, fd], env: { ...process.env, FUSTOR_HOME: home } });
  closeSync(fd);
  const done = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, done };
}

function tailOf(file, n = 15) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Adds the last log lines of both daemons to a failure, since the temp home is removed afterwards. */
function withLogs(err, stack) {
  err.message += `\n--- fusion ---\n${tailOf(join(stack.home, 'logs', 'fusion.out'))}\n--- agent ---\n${tailOf(join(stack.home, 'logs', 'agent.out'))}`;
  return err;
}

async function stopProc(p) {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
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

/** Fusion + agent on `dir` with a fresh home; returns handles and timings. */
async function startStack(work, dir, label, bins = CURRENT) {
  const home = join(work, `home-${label}`);
  mkdirSync(join(home, 'logs'), { recursive: true });
  const fusionPort = await freePort();
  const consolePort = await freePort();
  const ingestKey = `fk_ingest_${randomBytes(16).toString('hex')}`;
  const readKey = `fk_read_${randomBytes(16).toString('hex')}`;
  writeFileSync(
    join(home, 'fusion-config.yaml'),
    stringify({
      server: { host: '127.0.0.1', port: fusionPort, max_body_mb: 10 },
      storage: { path: 'fusion.db' },
      views: [{ id: 'bench' }],
      api_keys: [
        { key: ingestKey, role: 'ingest', views: ['bench'] },
        { key: readKey, role: 'read', views: ['bench'] },
      ],
    }),
  );
  writeFileSync(
    join(home, 'agent-config.yaml'),
    stringify({
      agent_id: `bench-${label}`,
      console: { host: '127.0.0.1', port: consolePort },
      sources: [{ id: 's', type: 'fs', config: { uri: dir, driver_params: { write_settle_ms: WRITE_SETTLE_MS } } }],
      senders: [{ id: 'f', type: 'fusion', config: { endpoint: `http://127.0.0.1:${fusionPort}`, credential: ingestKey, view: 'bench' } }],
      pipes: [{ id: 'p', source_id: 's', sender_id: 'f', audit_interval_sec: 3600, sentinel_interval_sec: 3600 }],
    }),
  );
  const url = `http://127.0.0.1:${fusionPort}`;
  const fusion = launch(bins.fusion, home, join(home, 'logs', 'fusion.out'), bins.fusionFlags);
  const stack = { home, url, readKey, consolePort, fusion, agent: null, bins };
  try {
    await until('fusion /readyz', 60_000, async () => {
      if (fusion.child.exitCode !== null) throw Object.assign(new Error(`fusion exited with code ${fusion.child.exitCode}`), { fatal: true });
      return (await fetch(`${url}/readyz`)).status === 200;
    });
  } catch (err) {
    await stopProc(fusion);
    throw withLogs(err, stack);
  }
  return stack;
}

async function startAgent(stack) {
  stack.agent = launch(stack.bins.agent, stack.home, join(stack.home, 'logs', 'agent.out'), stack.bins.agentFlags);
}

/** Median wall time of `runs` runs of find -printf over `dir` (output discarded). */
function timeFind(dir, runs = FIND_RUNS) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    execFileSync('find', [dir, '-printf', '%p %s %T@\n'], { stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

/** One P3 run on a fresh Fusion + agent: spawn → stats shows every file, with a breakdown and CPU use. */
async function p3Run(work, dir, files, n, bins = CURRENT) {
  const stack = await startStack(work, dir, `p3-${n}`, bins);
  try {
    const fusionCpu0 = cpuMs(stack.fusion.child.pid);
    const fusionWaits0 = waits(stack.fusion.child.pid);
    const start = Date.now();
    await startAgent(stack);
    // Where the time goes: console up, session open (leader), snapshot phase seen, snapshot end reported.
    const marks = { console_ms: null, leader_ms: null, snapshot_seen_ms: null, snapshot_end_ms: null };
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        try {
          const res = await fetch(`http://127.0.0.1:${stack.consolePort}/api/status`);
          const p = (await res.json()).data?.pipes?.[0];
          const t = Date.now() - start;
          marks.console_ms ??= t;
          if (p?.role === 'leader') marks.leader_ms ??= t;
          if (p?.phase === 'snapshot') marks.snapshot_seen_ms ??= t;
          if (p?.last_snapshot_end_ms) marks.snapshot_end_ms ??= p.last_snapshot_end_ms - start;
        } catch {
          // console not up yet
        }
        await sleep(50);
      }
    })();
    // Stats every 100 ms until 90% of the files show, then every 10 ms: a stats query costs Fusion about
    // 1 ms of the CPU this run measures, and the last poll's period is the measurement's resolution.
    const deadline = Date.now() + (quick ? 300_000 : 1_800_000);
    for (let shown = 0; ;) {
      if (stack.agent.child.exitCode !== null) throw new Error(`agent exited with code ${stack.agent.child.exitCode}`);
      try {
        shown = (await getJson(`${stack.url}/api/v1/views/bench/stats?path=/`, stack.readKey)).file_count;
      } catch {
        // the view appears with the first batch
      }
      if (shown >= files) break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for Fusion stats to show ${files} files (last: ${shown})`);
      await sleep(shown >= files * 0.9 ? 10 : 100);
    }
    const e2eMs = Date.now() - start;
    // CPU spent until every file was visible: tells which side was the bottleneck (2 cores are shared).
    const agentTimes = cpuTimes(stack.agent.child.pid);
    const agentThreads = threadCpu(stack.agent.child.pid);
    const fusionCpu1 = cpuMs(stack.fusion.child.pid);
    const fusionWaits1 = waits(stack.fusion.child.pid);
    const agentWaits = waits(stack.agent.child.pid);
    await sleep(200);
    watching = false;
    await watcher;
    return {
      e2e_ms: e2eMs,
      cpu_agent_ms: agentTimes === null ? null : agentTimes.user + agentTimes.sys,
      cpu_agent_sys_ms: agentTimes?.sys ?? null,
      cpu_agent_threads: agentThreads,
      cpu_fusion_ms: fusionCpu0 === null || fusionCpu1 === null ? null : fusionCpu1 - fusionCpu0,
      // Main threads' waits for a CPU and for block I/O (blkio is 0 without kernel.task_delayacct=1).
      waits: fusionWaits0 === null || fusionWaits1 === null || agentWaits === null ? null : {
        fusion_runq_ms: fusionWaits1.runq_ms - fusionWaits0.runq_ms, fusion_blkio_ms: fusionWaits1.blkio_ms - fusionWaits0.blkio_ms,
        agent_runq_ms: agentWaits.runq_ms, agent_blkio_ms: agentWaits.blkio_ms,
      },
      breakdown: marks,
    };
  } catch (err) {
    throw withLogs(err, stack);
  } finally {
    await stopProc(stack.agent ?? { child: { exitCode: 0 } });
    await stopProc(stack.fusion);
  }
}

/** P3 on a tree of `FILES` files, `runs` runs (each beside its own find; alternating with the baseline build, if any). */
async function benchP3(work, FILES, runCount = P3_RUNS) {
  const P3_RUNS = runCount;
  const DIRS = dirsFor(FILES);
  const dir = p3Tree(work, FILES);
  const marker = `${dir}.complete`; // beside the tree, not in it
  let files;
  if (TREE_DIR && existsSync(marker)) {
    files = Number(readFileSync(marker, 'utf8'));
    console.log(`P3: reusing the tree of ${files} files in ${dir}`);
  } else {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const t0 = Date.now();
    files = generate(dir, FILES);
    // A settled tree, as P3 means it: every entry a day old, so none is "hot" (a file written within
    // the view's hot_file_threshold_sec becomes a suspect, which a just-generated tree would make of all).
    execFileSync('find', [dir, '-exec', 'touch', '-h', '-d', `@${Math.floor(Date.now() / 1000) - 86_400}`, '{}', '+']);
    console.log(`P3: generated ${files} files in ${DIRS} dirs (mtimes a day old) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // Let the kernel write the new tree back first: otherwise the first runs compete with gigabytes of
    // writeback, and Fusion's commit fsyncs wait behind it.
    execFileSync('sync');
    if (TREE_DIR) writeFileSync(marker, String(files));
  }
  // find runs between the agent runs, so each run's ratio is against find at the same moment (the host is shared).
  timeFind(dir, 1); // warm the cache
  const target = FILES < 1_000_000 ? 3 : 2;
  const variants = BASELINE ? [['this build', CURRENT], ['baseline', BASELINE]] : [['this build', CURRENT]];
  // Warm the daemons' code as find's is warm: generating the tree can push both out of the page cache
  // (a full run's first agent once waited 1.2 s on block I/O loading itself).
  for (const [, bins] of variants) for (const bin of [bins.agent, bins.fusion]) spawnSync(process.execPath, [bin, '--help'], { stdio: 'ignore' });
  const runs = Object.fromEntries(variants.map(([name]) => [name, []]));
  // find's median of 3 below 1M files: one run of ~0.25 s swings by ±30% on this shared host, and the
  // ratio is only as steady as its baseline (at 1M one run takes seconds and swings far less).
  const findRuns = FILES < 1_000_000 ? 3 : 1;
  for (let i = 0; i < P3_RUNS; i++) {
    for (const [name, bins] of variants) {
      const findMs = timeFind(dir, findRuns);
      const load = loadavg()[0];
      const r = { ...(await p3Run(work, dir, files, `${files}-${i}-${name === 'baseline' ? 'b' : 'c'}`, bins)), find_ms: round(findMs), load_1m: round(load, 2) };
      r.ratio = round(r.e2e_ms / findMs, 2);
      runs[name].push(r);
      console.log(
        `P3 ${name}: run ${i + 1}/${P3_RUNS}: agent start → stats shows every file: ${r.e2e_ms} ms, find ${r.find_ms} ms: ${r.ratio}× find (load ${r.load_1m}); ` +
          `CPU agent ${r.cpu_agent_ms} ms (${r.cpu_agent_sys_ms} in the kernel; by thread ${JSON.stringify(r.cpu_agent_threads)}), Fusion ${r.cpu_fusion_ms} ms; ` +
          `main threads waited (ms): ${r.waits === null ? 'n/a' : Object.entries(r.waits).map(([k, v]) => `${k} ${v}`).join(', ')}; ` +
          `breakdown (ms after spawn): ${Object.entries(r.breakdown).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      );
    }
  }
  const summary = (rs) => {
    const e2e = median(rs.map((r) => r.e2e_ms));
    const find = median(rs.map((r) => r.find_ms));
    const ratio = median(rs.map((r) => r.ratio));
    return { value: e2e, unit: 'ms', baseline: round(find), ratio, target: `<= ${target}x find`, ok: ratio <= target };
  };
  const out = { files, dirs: DIRS, p3: summary(runs['this build']), runs: runs['this build'] };
  console.log(`P3: median of ${P3_RUNS}: ${out.p3.value} ms, find ${out.p3.baseline} ms, ratio ${out.p3.ratio}× (median of the runs' ratios; target ≤ ${target}×)`);
  if (BASELINE) {
    out.baseline_build = summary(runs.baseline);
    out.baseline_runs = runs.baseline;
    console.log(`P3 baseline build (${process.env.FUSTOR_BENCH_BASELINE}): median ${out.baseline_build.value} ms, ratio ${out.baseline_build.ratio}× find`);
  }
  return out;
}

/** Polls /stats on the latency directory as fast as the server answers; records when each expected value is first seen. */
function statsPoller(stack, path) {
  const seen = []; // [time, file_count, total_size]
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const s = await getJson(`${stack.url}/api/v1/views/bench/stats?path=${encodeURIComponent(path)}`, stack.readKey);
        seen.push([performance.now(), s.file_count, s.total_size]);
      } catch {
        await sleep(2);
      }
    }
  })();
  return {
    seen,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** First poll time at which pred(sample) holds, at or after `from`. */
function firstAt(seen, from, pred) {
  for (const s of seen) if (s[0] >= from && pred(s)) return s[0];
  return null;
}

async function paced(n, fn) {
  const t0 = performance.now();
  const times = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / P4_RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    fn(i);
    times.push(performance.now());
  }
  return times;
}

async function benchP4(work) {
  const dir = join(work, 'live');
  mkdirSync(join(dir, 'lat'), { recursive: true });
  writeFileSync(join(dir, 'seed.txt'), 'x');
  const stack = await startStack(work, dir, 'p4');
  try {
    await startAgent(stack);
    await until('the agent snapshot', 60_000, async () => (await getJson(`${stack.url}/api/v1/views/bench/stats?path=/`, stack.readKey)).file_count >= 1, 50);
    const poller = statsPoller(stack, '/lat');
    await sleep(300);
    const name = (i) => join(dir, 'lat', `l${String(i).padStart(4, '0')}.dat`);

    const created = await paced(P4_OPS, (i) => writeFileSync(name(i), 'a'));
    await sleep(WRITE_SETTLE_MS + 2_000);
    const modified = await paced(P4_OPS, (i) => appendFileSync(name(i), 'b'));
    await sleep(WRITE_SETTLE_MS + 2_000);
    const deleted = await paced(P4_OPS, (i) => unlinkSync(name(i)));
    await until('every delete to be visible', 30_000, async () => poller.seen.at(-1)?.[1] === 0, 50).catch(() => undefined);
    await sleep(500);
    await poller.stop();

    const lat = (times, pred) => {
      const out = [];
      let missing = 0;
      times.forEach((t, i) => {
        const v = firstAt(poller.seen, t, (s) => pred(s, i));
        if (v === null) missing++;
        else out.push(v - t);
      });
      return { out, missing };
    };
    // Operations are applied in order, so op i is visible once the count (or size) reaches its cumulative value.
    const c = lat(created, (s, i) => s[1] >= i + 1);
    const m = lat(modified, (s, i) => s[2] >= P4_OPS + i + 1);
    const d = lat(deleted, (s, i) => s[1] <= P4_OPS - i - 1);
    const summary = (r) => ({
      p50_ms: r.out.length ? round(pct(r.out, 50)) : null,
      p99_ms: r.out.length ? round(pct(r.out, 99)) : null,
      not_seen: r.missing,
    });
    const res = { create: summary(c), modify: summary(m), delete: summary(d) };
    const pollGapMs = poller.seen.length > 1 ? round(median(poller.seen.slice(1).map((s, i) => s[0] - poller.seen[i][0])), 2) : null;
    console.log(`P4: ${P4_OPS} ops per kind at ${P4_RATE}/s, write_settle_ms ${WRITE_SETTLE_MS}, stats poll gap median ${pollGapMs} ms`);
    for (const [k, v] of Object.entries(res)) console.log(`P4: ${k.padEnd(6)} p50 ${v.p50_ms} ms  p99 ${v.p99_ms} ms  not seen ${v.not_seen}`);
    return { ...res, ops_per_kind: P4_OPS, rate_per_sec: P4_RATE, write_settle_ms: WRITE_SETTLE_MS, poll_gap_ms: pollGapMs, target: 'p50 <= 20 ms, p99 <= 100 ms (first visibility)' };
  } catch (err) {
    throw withLogs(err, stack);
  } finally {
    await stopProc(stack.agent ?? { child: { exitCode: 0 } });
    await stopProc(stack.fusion);
  }
}

/** `rm -rf` is several times faster than fs.rmSync on a million small files (minutes otherwise). */
function removeTree(path) {
  try {
    execFileSync('rm', ['-rf', '--', path], { stdio: 'ignore' });
  } catch {
    rmSync(path, { recursive: true, force: true });
  }
}

function p3Tree(work, files) {
  return TREE_DIR ? join(resolve(TREE_DIR), `p3-${files}`) : join(work, `tree-${files}`);
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'fustor-bench-e2e-'));
  const result = {};
  let failed = null;
  try {
    if (only !== 'p4') {
      try {
        result.p3_snapshot_end_to_end = await benchP3(work, FILES);
      } catch (err) {
        failed = err;
        result.p3_snapshot_end_to_end = { error: err.message };
      }
      if (!TREE_DIR) removeTree(p3Tree(work, FILES));
      // The full run also measures the 100k target (quality.md P3: <= 3x there, where start-up weighs
      // most): 5 runs, since one ~0.8 s run swings more with the host than a 1M one.
      if (!quick && FILES >= 1_000_000 && !process.argv.some((a) => a.startsWith('--files='))) {
        try {
          result.p3_snapshot_end_to_end_100k = await benchP3(work, 100_000, Math.max(P3_RUNS, 5));
        } catch (err) {
          failed ??= err;
          result.p3_snapshot_end_to_end_100k = { error: err.message };
        }
        if (!TREE_DIR) removeTree(p3Tree(work, 100_000));
      }
    }
    if (only !== 'p3') {
      try {
        result.p4_realtime_latency = await benchP4(work);
      } catch (err) {
        failed ??= err;
        result.p4_realtime_latency = { error: err.message };
      }
    }
  } finally {
    removeTree(work);
  }
  console.log(`RESULT ${JSON.stringify(result)}`);
  if (failed) {
    console.error(`e2e bench failed: ${failed.message}`);
    process.exit(1);
  }
}

main();
