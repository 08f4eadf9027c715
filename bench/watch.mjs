// Realtime backends side by side: time from start() to watching, RSS and idle CPU, native vs chokidar (P10: ≤ 200 MB, ≤ 1%).
//
// Usage: node bench/watch.mjs [--quick] [--backend=native|chokidar] [--dir PATH]
//   default  builds the tree, then measures each backend in a fresh child process (same run, same tree)
//   --backend  measure only that backend in this process (prints its own RESULT line)
//   --quick  10,000 files in 100 leaf directories (default: 100,000 files in 1,000 leaf directories)
//   --dir    reuse/generate the tree there (kept afterwards), else a temp dir removed at the end
// Imports the built package: run `npx tsc -b packages/source-fs` first. chokidar holds one inotify watch
// per file: the full run needs ~101,000 of fs.inotify.max_user_watches while it lasts.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const backendArg = args.find((a) => a.startsWith('--backend='))?.slice('--backend='.length) ?? null;
const dirArg = args.includes('--dir') ? args[args.indexOf('--dir') + 1] : null;
const BACKENDS = ['native', 'chokidar'];
if (backendArg !== null && !BACKENDS.includes(backendArg)) {
  console.error(`--backend must be one of ${BACKENDS.join(', ')} (got '${backendArg}')`);
  process.exit(2);
}

// 10 top directories × L leaf directories × F files.
const SHAPE = quick ? { top: 10, leaf: 10, files: 100 } : { top: 10, leaf: 100, files: 100 };
const IDLE_MS = 5000;

function generate(root) {
  const marker = join(root, '.bench-watch-tree');
  const want = JSON.stringify(SHAPE);
  const files = SHAPE.top * SHAPE.leaf * SHAPE.files;
  const dirs = 1 + SHAPE.top + SHAPE.top * SHAPE.leaf;
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === want) return { files, dirs, reused: true };
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const old = new Date(Date.UTC(2024, 0, 1));
  for (let a = 0; a < SHAPE.top; a++) {
    for (let b = 0; b < SHAPE.leaf; b++) {
      const dir = join(root, `d${a}`, `e${String(b).padStart(3, '0')}`);
      fs.mkdirSync(dir, { recursive: true });
      for (let f = 0; f < SHAPE.files; f++) fs.writeFileSync(join(dir, `f${String(f).padStart(3, '0')}.dat`), 'x'.repeat((a * 31 + b * 7 + f) % 97));
      fs.utimesSync(dir, old, old);
    }
    fs.utimesSync(join(root, `d${a}`), old, old);
  }
  fs.writeFileSync(marker, want);
  return { files, dirs, reused: false };
}

function rssMb() {
  globalThis.gc?.();
  return Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One backend in this process: start() → watching, RSS, idle CPU, and one event seen (the watch works). */
async function measure(root, backend) {
  const { createFsSource } = await import('../packages/source-fs/dist/index.js');
  const rssBefore = rssMb();
  const src = createFsSource({ root, watcher: backend, writeSettleMs: 0 });
  let seenAt = null;
  src.onRealtime((evs) => {
    if (seenAt === null && evs.some((e) => e.path === '/d0/e000/bench-probe.dat')) seenAt = performance.now();
  });
  const t0 = performance.now();
  await src.start();
  // The native backend adds most watches after start() resolves: "watching" is when they all are.
  await src.watchesSettled?.();
  const startMs = performance.now() - t0;
  const rssReady = rssMb();
  const cov = src.coverage();
  const c0 = process.cpuUsage();
  const i0 = performance.now();
  await sleep(IDLE_MS);
  const c = process.cpuUsage(c0);
  const idleCpuPct = ((c.user + c.system) / 1000 / (performance.now() - i0)) * 100;
  const rssIdle = rssMb();
  const w0 = performance.now();
  fs.writeFileSync(join(root, 'd0/e000/bench-probe.dat'), 'probe');
  while (seenAt === null && performance.now() - w0 < 10_000) await sleep(1);
  await src.close();
  fs.rmSync(join(root, 'd0/e000/bench-probe.dat'), { force: true });
  fs.utimesSync(join(root, 'd0/e000'), new Date(Date.UTC(2024, 0, 1)), new Date(Date.UTC(2024, 0, 1)));
  if (seenAt === null) throw new Error(`${backend}: a file written after start() was not reported within 10 s`);
  return {
    backend,
    start_ms: Math.round(startMs),
    rss_mb: Math.max(rssReady, rssIdle),
    rss_before_start_mb: rssBefore,
    idle_cpu_pct: +idleCpuPct.toFixed(2),
    first_event_ms: +(seenAt - w0).toFixed(1),
    watched_dirs: cov.watchedDirs,
    can_realtime: cov.canRealtime,
  };
}

/** Runs this script for one backend in a fresh process, so each RSS figure is that backend's alone. */
function child(root, backend) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), `--backend=${backend}`, '--dir', root, ...(quick ? ['--quick'] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    p.once('close', (code) => {
      const line = out.split('\n').filter((l) => l.startsWith('RESULT ')).pop();
      if (code !== 0 || !line) return reject(new Error(`${backend} run failed (exit ${code}): ${out.slice(-500)}`));
      resolve(JSON.parse(line.slice('RESULT '.length)));
    });
  });
}

const root = dirArg ?? join(fs.mkdtempSync(join(tmpdir(), 'fustor-bench-watch-')), 'tree');
const keep = dirArg !== null;
try {
  const tree = generate(root);
  if (backendArg !== null) {
    console.log('RESULT ' + JSON.stringify({ files: tree.files, dirs: tree.dirs, ...(await measure(root, backendArg)) }));
  } else {
    console.log(`tree: ${tree.files} files in ${tree.dirs} directories (${tree.reused ? 'reused' : 'generated'}) at ${root}`);
    const r = {};
    for (const b of BACKENDS) {
      r[b] = await child(root, b);
      console.log(`${b}: ${JSON.stringify(r[b])}`);
    }
    const n = r.native;
    const k = r.chokidar;
    console.log('RESULT ' + JSON.stringify({
      files: tree.files,
      dirs: tree.dirs,
      start_ms: { value: n.start_ms, baseline: k.start_ms, ratio: +(n.start_ms / k.start_ms).toFixed(4), unit: 'ms (native; baseline chokidar)' },
      rss_mb: { value: n.rss_mb, baseline: k.rss_mb, ratio: +(n.rss_mb / k.rss_mb).toFixed(3), target: '≤ 200 (P10)', unit: 'MB (native; baseline chokidar)' },
      idle_cpu_pct: { value: n.idle_cpu_pct, baseline: k.idle_cpu_pct, target: '≤ 1 (P10)', unit: '% (native; baseline chokidar)' },
      native: n,
      chokidar: k,
    }));
  }
} finally {
  if (!keep) fs.rmSync(join(root, '..'), { recursive: true, force: true });
}
