// Fusion's share of a snapshot, in process: listing batches of N files applied and committed by the engine (no HTTP, no agent).
//
// node bench/snapshot-apply.mjs [--files=N] [--runs=R]      (run only when named: `npm run bench -- snapshot-apply`)
// FUSTOR_BENCH_BASELINE=<checkout>: that checkout's engine runs alternately with this one, each run in a fresh
// child process and a fresh fusion.db, so the two builds are compared at the same moment on a noisy host.
// The listings have growth.mjs's shape: 100 top directories, 100 files per leaf directory, batches of
// 5,000 entries, every entry with the metadata of consumers.md §1. Reports wall and CPU time per run.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt);
const FILES = arg('files', 1_000_000);
const RUNS = arg('runs', 5);
const BATCH = 5000;

/** One run in this process: the engine of checkout `root` applies FILES files; prints a JSON line. */
async function child(root) {
  const { openViewStore } = await import(pathToFileURL(join(root, 'packages/fusion/dist/views/open-view-store.js')).href);
  const { listingEventCursor } = await import(pathToFileURL(join(root, 'packages/protocol/dist/listings.js')).href);
  const now = Date.now();
  const old = now - 30 * 86_400_000;
  const batches = [];
  let batch = [['/', old, now, [null, null, 0, 0, 0o755, old, null]]];
  let count = 1;
  for (let t = 0; t < 100; t++, count++) batch.push([`/t${t}`, old, now, ['/', old, 0, 0, 0o755, old, null]]);
  for (let d = 0; d < FILES / 100; d++) {
    const l = [`/t${d % 100}/run${d}`, old, now, [`/t${d % 100}`, old, 1000, 1000, 0o755, old, null]];
    for (let f = 0; f < 100; f++) l.push(`f${String(f).padStart(4, '0')}.dat`, 0, f * 7, old - f, 1000 + (d % 40), 1000, 0o644, old);
    batch.push(l);
    count += 101;
    if (count >= BATCH) {
      batches.push(batch);
      batch = [];
      count = 0;
    }
  }
  if (batch.length) batches.push(batch);
  const dir = mkdtempSync(join(tmpdir(), 'fustor-bench-apply-'));
  try {
    const store = openViewStore({ path: join(dir, 'fusion.db'), views: [{ id: 'bench', hot_file_threshold_sec: 60, tombstone_ttl_sec: 3600 }] });
    store.saveSession({
      session_id: 'bench', view: 'bench', agent_id: 'a', pipe_id: 'p', key_id: 'k', role: 'leader', timeout_sec: 30,
      created_at_ms: now, last_heartbeat_ms: now, can_realtime: true, client_ip: null, last_batch_seq: -1, snapshot_started: true,
    });
    const v = store.view('bench');
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let seq = 0;
    for (const b of batches) v.applyBatch('snapshot', listingEventCursor(b), { session_id: 'bench', agent_id: 'a', batch_seq: seq++ });
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const files = v.stats('/').file_count;
    store.close();
    console.log(JSON.stringify({ files, wall_ms: Math.round(wall), cpu_ms: Math.round((c.user + c.system) / 1000) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runIn(root) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), `--child=${root}`, `--files=${FILES}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`run in ${root} failed: ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
  if (out.files !== FILES) throw new Error(`expected ${FILES} files in the view, stats says ${out.files}`);
  return out;
}

const childRoot = process.argv.find((a) => a.startsWith('--child='))?.slice(8);
if (childRoot) {
  await child(childRoot);
} else {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const variants = [['this build', REPO], ...(process.env.FUSTOR_BENCH_BASELINE ? [['baseline', resolve(process.env.FUSTOR_BENCH_BASELINE)]] : [])];
  const runs = Object.fromEntries(variants.map(([n]) => [n, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [name, root] of variants) {
      const r = runIn(root);
      runs[name].push(r);
      console.log(`snapshot apply ${name}: run ${i + 1}/${RUNS}: ${FILES} files in ${r.wall_ms} ms, CPU ${r.cpu_ms} ms`);
    }
  }
  const summary = (rs) => ({ wall_ms: median(rs.map((r) => r.wall_ms)), cpu_ms: median(rs.map((r) => r.cpu_ms)), files_per_s: Math.round(FILES / (median(rs.map((r) => r.wall_ms)) / 1000)) });
  const result = Object.fromEntries(Object.entries(runs).map(([n, rs]) => [n.replace(' ', '_'), { ...summary(rs), runs: rs }]));
  for (const [n, s] of Object.entries(result)) console.log(`snapshot apply ${n}: median ${s.wall_ms} ms (${s.files_per_s} files/s), CPU ${s.cpu_ms} ms`);
  console.log(`RESULT ${JSON.stringify({ files: FILES, ...result })}`);
}
