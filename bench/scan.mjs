// Scanner vs. find on the same warm tree (P3 scan budget: ≤ 1.5×), and incremental vs. full audit (P9: ≤ 25%).
//
// Usage: node bench/scan.mjs [--quick] [--runs N] [--dir PATH] [--keep]
//   --quick  100,000 files in 1,110 dirs (default: 1,000,000 files in 10,110 dirs)
//   --dir    reuse/generate the tree there (kept afterwards), else a temp dir removed at the end
// Imports the built package: run `npx tsc -b packages/source-fs` first.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsSource } from '../packages/source-fs/dist/index.js';
import { seededRandom } from '../packages/test-helpers/dist/index.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runs = Number(args[args.indexOf('--runs') + 1]) > 0 && args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 3;
const dirArg = args.includes('--dir') ? args[args.indexOf('--dir') + 1] : null;
const keep = args.includes('--keep') || dirArg !== null;

// 10 × 10 × L leaf directories, F files each; the intermediate levels hold a few files too.
const SHAPE = quick ? { top: 10, mid: 10, leaf: 10, files: 100 } : { top: 10, mid: 10, leaf: 100, files: 100 };
const SEED = 20261121;

function generate(root) {
  const marker = join(root, '.bench-tree');
  const want = JSON.stringify({ SHAPE, SEED });
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === want) return { files: countFiles(), dirs: countDirs(), reused: true };
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const rnd = seededRandom(SEED); // deterministic sizes and mtimes across runs and machines
  const base = Date.UTC(2024, 0, 1) / 1000;
  let files = 0;
  let dirs = 1;
  const mk = (dir, n) => {
    for (let i = 0; i < n; i++) {
      const p = join(dir, `f${String(i).padStart(4, '0')}.dat`);
      const fd = fs.openSync(p, 'w');
      fs.ftruncateSync(fd, Math.floor(rnd() * 65536));
      fs.closeSync(fd);
      const t = base + Math.floor(rnd() * 3e7);
      fs.utimesSync(p, t, t);
      files++;
    }
  };
  for (let a = 0; a < SHAPE.top; a++) {
    const da = join(root, `d${a}`);
    fs.mkdirSync(da);
    dirs++;
    for (let b = 0; b < SHAPE.mid; b++) {
      const db = join(da, `e${b}`);
      fs.mkdirSync(db);
      dirs++;
      for (let c = 0; c < SHAPE.leaf; c++) {
        const dc = join(db, `g${c}`);
        fs.mkdirSync(dc);
        dirs++;
        mk(dc, SHAPE.files);
      }
    }
  }
  fs.writeFileSync(marker, want);
  files++;
  // Old directory mtimes, as on a settled tree (the audit cache never trusts very recent ones).
  const old = base;
  const walkDirs = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walkDirs(join(d, e.name));
    fs.utimesSync(d, old, old);
  };
  walkDirs(root);
  return { files, dirs, reused: false };
}

function countFiles() {
  return SHAPE.top * SHAPE.mid * SHAPE.leaf * SHAPE.files + 1;
}
function countDirs() {
  return 1 + SHAPE.top + SHAPE.top * SHAPE.mid + SHAPE.top * SHAPE.mid * SHAPE.leaf;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const findCpuMs = [];
function timeFind(root) {
  const t0 = performance.now();
  // bash's `time` gives find's CPU (user + sys) too: on a busy host CPU is the fairer comparison.
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S'; { time find "$1" -printf '%p %s %T@\\n' > /dev/null; } 2>&1`, 'bash', root], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`find failed: ${r.stderr}`);
  const ms = performance.now() - t0;
  const [u, sy] = r.stdout.trim().split(/\s+/).map(Number);
  if (Number.isFinite(u) && Number.isFinite(sy)) findCpuMs.push((u + sy) * 1000);
  return ms;
}

/** Counts what a scan yields, reading its listings as the agent sends them (no event objects). */
async function consume(iter) {
  let events = 0;
  let files = 0;
  let skipped = 0;
  for await (const chunk of iter) {
    events += chunk.count;
    for (const l of chunk.listings) {
      if (l[3] !== null && l[3][6] === true) skipped++;
      for (let i = 4; i < l.length; i += 8) if (l[i + 1] !== 1) files++;
    }
  }
  return { events, files, skipped };
}

async function timeSnapshot(root, scanWorkers) {
  const src = createFsSource(scanWorkers === undefined ? { root, realtime: false } : { root, realtime: false, scanWorkers });
  await src.start();
  const t0 = performance.now();
  const c0 = process.cpuUsage(); // the whole process: main thread and stat workers
  // Main-thread busy time: in the agent that thread also encodes and sends, so less is better.
  const e0 = performance.eventLoopUtilization();
  const r = await consume(src.scanListings({ kind: 'snapshot' }));
  const c = process.cpuUsage(c0);
  const busyMs = performance.eventLoopUtilization(e0).active;
  const ms = performance.now() - t0;
  await src.close();
  return { ms, cpuMs: (c.user + c.system) / 1000, busyMs, ...r };
}

async function timeAudits(root) {
  const src = createFsSource({ root, realtime: false });
  await src.start();
  let t0 = performance.now();
  const full = await consume(src.scanListings({ kind: 'audit' }));
  const fullMs = performance.now() - t0;
  t0 = performance.now();
  const inc = await consume(src.scanListings({ kind: 'audit' }));
  const incMs = performance.now() - t0;
  await src.close();
  return { fullMs, incMs, full, inc };
}

const root = dirArg ?? join(fs.mkdtempSync(join(tmpdir(), 'fustor-bench-scan-')), 'tree');
const genT0 = performance.now();
const tree = generate(root);
const genMs = performance.now() - genT0;
console.log(`tree: ${tree.files} files, ${tree.dirs} dirs at ${root} (${tree.reused ? 'reused' : `generated in ${(genMs / 1000).toFixed(1)} s`})`);

// Warm the page/dentry/inode caches for both contenders.
timeFind(root);
await timeSnapshot(root);

const findMs = [];
const scanMs = [];
const scanCpuMs = [];
const scanBusyMs = [];
const scanMainMs = [];
let scanEvents = null;
for (let i = 0; i < runs; i++) {
  // Alternate the order so neither side always runs on a cache the other just warmed.
  if (i % 2 === 0) {
    findMs.push(timeFind(root));
    const s = await timeSnapshot(root);
    scanMs.push(s.ms);
    scanCpuMs.push(s.cpuMs);
    scanBusyMs.push(s.busyMs);
    scanEvents = s;
    scanMainMs.push((await timeSnapshot(root, 0)).ms);
  } else {
    scanMainMs.push((await timeSnapshot(root, 0)).ms);
    const s = await timeSnapshot(root);
    scanMs.push(s.ms);
    scanCpuMs.push(s.cpuMs);
    scanBusyMs.push(s.busyMs);
    findMs.push(timeFind(root));
  }
}
// start(): realpath, directory census (watch selection + drift sample); realtime on = watches too.
const startMs = [];
for (let i = 0; i < runs; i++) {
  const src = createFsSource({ root });
  const t0 = performance.now();
  await src.start();
  startMs.push(performance.now() - t0);
  await src.close();
}
if (scanEvents.files !== tree.files) throw new Error(`snapshot reported ${scanEvents.files} files, expected ${tree.files}`);

const fullMs = [];
const incMs = [];
let lastAudit = null;
for (let i = 0; i < runs; i++) {
  const a = await timeAudits(root);
  fullMs.push(a.fullMs);
  incMs.push(a.incMs);
  lastAudit = a;
}
if (lastAudit.inc.files !== 0 || lastAudit.inc.skipped !== tree.dirs) {
  throw new Error(`incremental audit sent ${lastAudit.inc.files} files and ${lastAudit.inc.skipped} skipped dirs (expected 0 and ${tree.dirs})`);
}

const find = median(findMs);
const scan = median(scanMs);
const scanMain = median(scanMainMs);
const findCpu = median(findCpuMs.slice(1)); // the first was the warm-up run
const scanCpu = median(scanCpuMs);
const scanBusy = median(scanBusyMs);
const start = median(startMs);
const full = median(fullMs);
const inc = median(incMs);
const rows = [
  ['find -printf (baseline)', find, ''],
  ['snapshot scan', scan, `${(scan / find).toFixed(2)}× find (target ≤ 1.5×), 1 stat worker + main thread (default)`],
  ['CPU: find / snapshot', scanCpu, `${findCpu.toFixed(0)} / ${scanCpu.toFixed(0)} ms CPU = ${(scanCpu / findCpu).toFixed(2)}× (wall ≈ CPU/2 on an idle 2-core host)`],
  ['snapshot: main thread busy', scanBusy, `${((scanBusy / scan) * 100).toFixed(0)}% of the snapshot's wall time (the rest is in the stat worker)`],
  ['snapshot, main thread only', scanMain, `${(scanMain / find).toFixed(2)}× find (scanWorkers: 0)`],
  ['start() with watcher', start, `${(start / find).toFixed(2)}× find (census + ${tree.dirs} watches)`],
  ['full audit', full, ''],
  ['incremental audit', inc, `${((inc / full) * 100).toFixed(1)}% of full (target ≤ 25%)`],
];
console.log(`\n${'what'.padEnd(28)} ${'median ms'.padStart(10)}  note   (runs: ${runs})`);
for (const [what, ms, note] of rows) console.log(`${what.padEnd(28)} ${ms.toFixed(0).padStart(10)}  ${note}`);
console.log(`files/s snapshot: ${Math.round(tree.files / (scan / 1000)).toLocaleString('en')}; find: ${Math.round(tree.files / (find / 1000)).toLocaleString('en')}`);

if (!keep) fs.rmSync(join(root, '..'), { recursive: true, force: true });

console.log('RESULT ' + JSON.stringify({
  scan_files: tree.files,
  scan_dirs: tree.dirs,
  runs,
  find_ms: Math.round(find),
  snapshot_ms: Math.round(scan),
  snapshot_vs_find: { value: +(scan / find).toFixed(3), target_max: 1.5, ok: scan / find <= 1.5 },
  find_cpu_ms: Math.round(findCpu),
  snapshot_cpu_ms: Math.round(scanCpu),
  snapshot_cpu_vs_find_cpu: { value: +(scanCpu / findCpu).toFixed(3) },
  snapshot_main_thread_busy_ms: Math.round(scanBusy),
  snapshot_main_thread_ms: Math.round(scanMain),
  snapshot_main_thread_vs_find: { value: +(scanMain / find).toFixed(3) },
  start_with_watcher_ms: Math.round(start),
  audit_full_ms: Math.round(full),
  audit_incremental_ms: Math.round(inc),
  audit_incremental_vs_full: { value: +(inc / full).toFixed(3), target_max: 0.25, ok: inc / full <= 0.25 },
  audit_incremental_file_events: lastAudit.inc.files,
}));
