// Fusion index bench (P5 stats, P6 search, P7 memory, P8 restart, P13 reports, engine apply throughput): builds a view through the engine and measures it.
//
// node bench/fusion-index.mjs [--quick] [--no-meta]        (needs `npx tsc -b packages/fusion` first)
// 1,000,000 files in ~10,000 dirs (--quick: 100,000 in ~1,000), snapshot batches of 1,000 events.
// Every node carries the metadata of consumers.md §1 (kind, uid, gid, mode, ctime; 40 owners, 8
// groups) unless --no-meta (events as an older agent sends them, for comparing P7).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../packages/test-helpers/dist/index.js';

import { measureP13 } from './_reports-p13.mjs';

const here = fileURLToPath(import.meta.url);
const { openViewStore } = await import(new URL('../packages/fusion/dist/views/open-view-store.js', import.meta.url).href);

const VIEW = { id: 'bench', hot_file_threshold_sec: 60, tombstone_ttl_sec: 3600 };
const args = process.argv.slice(2);
const arg = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => percentile(xs, 50);
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

// ---- child modes: a fresh process per memory/restart measurement --------------------------------

async function child(mode, dbPath) {
  const t0 = performance.now();
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const store = openViewStore({ path: dbPath, views: [VIEW] });
  const openMs = performance.now() - t0;
  const v = store.view('bench');
  const c = v.counters();
  const s = v.stats('/');
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 200));
  globalThis.gc?.();
  const mu = process.memoryUsage();
  process.stdout.write(
    JSON.stringify({
      mode,
      open_ms: openMs,
      since_process_start_ms: performance.now() + performance.timeOrigin - startedAt(),
      files: c.file_count,
      dirs: c.dir_count,
      root_files: s.file_count,
      rss: mu.rss,
      rss_before_open: before,
      heap_used: mu.heapUsed,
      array_buffers: mu.arrayBuffers,
      external: mu.external,
    }) + '\n',
  );
  store.close();
}

function startedAt() {
  return Number(process.env.BENCH_SPAWNED_AT ?? performance.timeOrigin);
}

function runChild(mode, dbPath) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', here, `--child=${mode}`, `--db=${dbPath}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_SPAWNED_AT: String(Date.now()) },
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`child ${mode} exited ${code}`))));
  });
}

// ---- data ---------------------------------------------------------------------------------------

function layout(files) {
  const leafDirs = Math.round(files / 100);
  const top = Math.max(1, Math.round(Math.sqrt(leafDirs)));
  const sub = Math.ceil(leafDirs / top);
  const perLeaf = Math.floor((files * 0.95) / (top * sub));
  return { files, top, sub, perLeaf, big: files - perLeaf * top * sub };
}

const OWNERS = 40;
const GROUPS = 8;

/**
 * Metadata as source-fs sends it: a directory belongs to one of 40 owners (a few own most, like
 * real project trees), 90% of its files to the same owner; 2% of files are symlinks; ctime a little
 * after mtime. Its own PRNG, so sizes and mtimes are the same with and without metadata.
 */
function metaGen(seed) {
  const r = seededRandom(seed);
  let dirUid = 1000;
  let dirGid = 100;
  const file = (mtime) => ({
    kind: r() < 0.02 ? 'symlink' : 'file',
    uid: r() < 0.9 ? dirUid : 1000 + Math.floor(r() * OWNERS),
    gid: dirGid,
    mode: r() < 0.7 ? 0o644 : 0o640,
    ctime_ms: mtime + Math.floor(r() * 5000),
  });
  const dir = (mtime) => {
    dirUid = 1000 + Math.floor(OWNERS * r() ** 2);
    dirGid = 100 + Math.floor(r() * GROUPS);
    return { kind: 'dir', uid: dirUid, gid: dirGid, mode: 0o2775, ctime_ms: mtime };
  };
  return { file, dir };
}
const noMeta = { file: () => ({}), dir: () => ({}) };

/** Yields snapshot batches: every directory as its own entry, then its files (protocol.md scan order). */
function* batches(L, now, batchSize, seed = 42, withMeta = true) {
  const r = seededRandom(seed);
  const meta = withMeta ? metaGen(seed + 1) : noMeta;
  let batch = [];
  const push = function* (e) {
    batch.push(e);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  };
  const old = now - 86_400_000;
  const file = (path) => {
    const size = Math.floor(r() * 1e6);
    const mtime_ms = old - Math.floor(r() * 1e9);
    return { op: 'upsert', path, is_dir: false, size, mtime_ms, ...meta.file(mtime_ms) };
  };
  yield* push({ op: 'upsert', path: '/big', is_dir: true, mtime_ms: old, ...meta.dir(old) });
  for (let k = 0; k < L.big; k++) yield* push(file(`/big/file_${k}.dat`));
  for (let i = 0; i < L.top; i++) {
    yield* push({ op: 'upsert', path: `/t${i}`, is_dir: true, mtime_ms: old, ...meta.dir(old) });
    for (let j = 0; j < L.sub; j++) {
      const d = `/t${i}/s${j}`;
      yield* push({ op: 'upsert', path: d, is_dir: true, mtime_ms: old, parent_path: `/t${i}`, parent_mtime_ms: old, ...meta.dir(old) });
      for (let k = 0; k < L.perLeaf; k++) yield* push(file(`${d}/f${k}.dat`));
    }
  }
  if (batch.length > 0) yield batch;
}

function build(dbPath, L, synchronous, limitEvents = Infinity) {
  const store = openViewStore({ path: dbPath, views: [VIEW], synchronous });
  store.saveSession({
    session_id: 'bench', view: 'bench', agent_id: 'a', pipe_id: 'p', key_id: 'k', role: 'leader', timeout_sec: 30,
    created_at_ms: Date.now(), last_heartbeat_ms: Date.now(), can_realtime: true, client_ip: null, last_batch_seq: -1, snapshot_started: true,
  });
  const v = store.view('bench');
  let seq = 0;
  let events = 0;
  let genMs = 0;
  let applyMs = 0;
  const it = batches(L, Date.now(), 1000, 42, !args.includes('--no-meta'));
  for (;;) {
    const g0 = performance.now();
    const n = it.next();
    genMs += performance.now() - g0;
    if (n.done || events >= limitEvents) break;
    const a0 = performance.now();
    v.applyBatch('snapshot', n.value, { session_id: 'bench', agent_id: 'a', batch_seq: seq++ });
    applyMs += performance.now() - a0;
    events += n.value.length;
  }
  return { store, v, events, applyMs, genMs };
}

// ---- main ---------------------------------------------------------------------------------------

async function main() {
  const quick = args.includes('--quick');
  const L = layout(quick ? 100_000 : 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'fusion-index-bench-'));
  const rows = [];
  const result = {};
  try {
    // Build (synchronous=full) and throughput.
    const dbPath = join(dir, 'fusion.db');
    const b = build(dbPath, L, 'full');
    const fullEps = b.events / (b.applyMs / 1000);
    result.apply_full_events_per_s = Math.round(fullEps);
    rows.push(['apply, synchronous=full', `${Math.round(fullEps).toLocaleString()} events/s`, `${b.events.toLocaleString()} events in ${round(b.applyMs / 1000, 1)} s`]);

    const v = b.v;
    const c = v.counters();
    result.files = c.file_count;
    result.dirs = c.dir_count;

    // P5: stats on the root and random directories, cost independent of subtree size.
    const r = seededRandom(7);
    const timeIt = (fn, n) => {
      const xs = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        fn(i);
        xs.push(performance.now() - t0);
      }
      return xs;
    };
    const rootT = timeIt(() => v.stats('/'), 2000);
    const randDirs = Array.from({ length: 2000 }, () => {
      const x = r();
      if (x < 0.1) return '/big';
      const i = Math.floor(r() * L.top);
      return x < 0.4 ? `/t${i}` : `/t${i}/s${Math.floor(r() * L.sub)}`;
    });
    const randT = timeIt((i) => v.stats(randDirs[i]), randDirs.length);
    // Churn: delete the newest file of a random leaf (forces a lazy latest-mtime recompute up to the root), then stats('/').
    let seq = 1_000_000;
    const churnT = [];
    for (let i = 0; i < 300; i++) {
      const d = `/t${Math.floor(r() * L.top)}/s${Math.floor(r() * L.sub)}`;
      const now = Date.now();
      v.applyBatch('realtime', [{ op: 'upsert', path: `${d}/churn_${i}.dat`, is_dir: false, size: 1, mtime_ms: now + 1e9 }], { session_id: 'bench', batch_seq: seq++ });
      v.applyBatch('realtime', [{ op: 'delete', path: `${d}/churn_${i}.dat` }], { session_id: 'bench', batch_seq: seq++ });
      const t0 = performance.now();
      v.stats('/');
      v.stats(d);
      churnT.push(performance.now() - t0);
    }
    // Baseline: what stats('/') costs without aggregates — a walk of the whole in-memory tree summing
    // file counts and sizes straight over the node columns (no listing, no strings).
    const t = v.state.t;
    const bruteT = timeIt(() => {
      let files = 0;
      let size = 0;
      const stack = [0];
      while (stack.length > 0) {
        const d = stack.pop();
        for (let c = t.firstChild(d); c !== -1; c = t.next[c]) {
          if (t.isDir(c)) stack.push(c);
          else {
            files++;
            size += t.size[c];
          }
        }
      }
      return files + size;
    }, 5);
    result.stats_root_p99_ms = round(percentile(rootT, 99), 4);
    result.stats_random_dirs_p99_ms = round(percentile(randT, 99), 4);
    result.stats_after_churn_p99_ms = round(percentile(churnT, 99), 4);
    result.p5_target_ms = 5;
    result.baseline_bruteforce_walk_root_ms = round(median(bruteT), 2);
    result.stats_root_p99_vs_walk_ratio = round(result.stats_root_p99_ms / result.baseline_bruteforce_walk_root_ms, 5);
    rows.push(['P5 stats /, p50 / p99', `${round(median(rootT), 4)} / ${result.stats_root_p99_ms} ms`, `target p99 <= 5 ms`]);
    rows.push(['P5 stats random dirs, p50 / p99', `${round(median(randT), 4)} / ${result.stats_random_dirs_p99_ms} ms`, `${randDirs.length} calls`]);
    rows.push(['P5 stats after churn (/ + leaf), p99', `${result.stats_after_churn_p99_ms} ms`, 'newest file deleted before each call']);
    rows.push(['baseline: brute-force walk of / (no aggregates)', `${result.baseline_bruteforce_walk_root_ms} ms`, `${result.files.toLocaleString()} files, median of 5`]);

    // Tree listing of a big directory: first call sorts, later calls use the cached order.
    const listOpts = (page) => ({ depth: 1, page, page_size: 100, sort_by: 'name', sort_order: 'asc', only_path: false });
    const l0 = performance.now();
    v.tree('/big', listOpts(1));
    const listFirst = performance.now() - l0;
    const pages = Math.ceil(L.big / 100);
    const listT = timeIt(() => v.tree('/big', listOpts(1 + Math.floor(r() * pages))), 500);
    const m0 = performance.now();
    v.tree('/big', { ...listOpts(1), sort_by: 'mtime', sort_order: 'desc' });
    const listMtime = performance.now() - m0;
    result.list_big_dir_entries = L.big;
    result.list_big_first_ms = round(listFirst, 2);
    result.list_big_cached_p99_ms = round(percentile(listT, 99), 3);
    result.list_big_by_mtime_first_ms = round(listMtime, 2);
    rows.push([`tree /big (${L.big.toLocaleString()} entries), first page`, `${result.list_big_first_ms} ms`, 'sorts and caches the order']);
    rows.push(['tree /big, random page, cached p99', `${result.list_big_cached_p99_ms} ms`, `by mtime desc, first: ${result.list_big_by_mtime_first_ms} ms`]);

    // P6: glob search, first page plus exact total.
    const sq = (pattern, path = '/') => ({ pattern, path, type: 'any', page: 1, page_size: 100 });
    const searches = [
      ['all_dat', '*.dat (every file)', sq('*.dat')],
      ['f1_dat', 'f1*.dat (~11%)', sq('f1*.dat')],
      ['path_glob', 'path glob /t1*/**/f2*.dat', sq('/t1*/**/f2*.dat')],
      ['subtree_dat', '*.dat under /t3', sq('*.dat', '/t3')],
    ];
    for (const [key, label, query] of searches) {
      // search yields to the event loop between slices; on an idle loop that costs only the hops
      const xs = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        await v.search(query);
        xs.push(performance.now() - t0);
      }
      const total = (await v.search(query)).total;
      result[`search_${key}_p95_ms`] = round(percentile(xs, 95), 1);
      result[`search_${key}_hits`] = total;
      rows.push([`P6 search ${label}, p95`, `${result[`search_${key}_p95_ms`]} ms`, `${total.toLocaleString()} hits, target p95 <= 300 ms`]);
    }
    result.p6_target_ms = 300;

    // P13: reports on the root (usage by owner, top 100 by size, size histogram), p95 of 20 runs each.
    const users = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [String(1000 + i), `user${i}`]));
    const groups = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [String(100 + i), `group${i}`]));
    v.setPrincipals(users, groups);
    const p13 = await measureP13(v, 20);
    Object.assign(result, p13.out);
    rows.push(...p13.rows);
    {
      const q = { pattern: '*', path: '/', type: 'file', page: 1, page_size: 100, owner: 'user3', sort_by: 'size', sort_order: 'desc' };
      // search is async (it yields between slices): time each answer, not the call.
      const xs = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        await v.search(q);
        xs.push(performance.now() - t0);
      }
      result.search_owner_sorted_p95_ms = round(percentile(xs, 95), 1);
      result.search_owner_sorted_hits = (await v.search(q)).total;
      rows.push(['search owner=user3 sort_by=size, p95', `${result.search_owner_sorted_p95_ms} ms`, `${result.search_owner_sorted_hits.toLocaleString()} hits`]);
    }

    b.store.close();
    result.db_bytes = statSync(dbPath).size;

    // P7 + P8 in fresh processes: an empty store vs. the loaded one.
    const emptyPath = join(dir, 'empty.db');
    openViewStore({ path: emptyPath, views: [VIEW] }).close();
    const empties = [];
    const loads = [];
    for (let i = 0; i < 3; i++) {
      empties.push(await runChild('empty', emptyPath));
      loads.push(await runChild('loaded', dbPath));
    }
    const rssEmpty = median(empties.map((e) => e.rss));
    const rssLoaded = median(loads.map((e) => e.rss));
    result.rss_empty_mb = round(rssEmpty / 1048576, 1);
    result.rss_loaded_mb = round(rssLoaded / 1048576, 1);
    result.bytes_per_file = Math.round((rssLoaded - rssEmpty) / result.files);
    result.p7_target_bytes_per_file = 250;
    result.p7_reference_design_bytes_per_file = 500;
    result.p7_with_metadata = !args.includes('--no-meta');
    result.reopen_ms = Math.round(median(loads.map((e) => e.open_ms)));
    result.reopen_since_spawn_ms = Math.round(median(loads.map((e) => e.since_process_start_ms)));
    result.p8_target_ms = 5000;
    rows.push(['P7 RSS empty / loaded', `${result.rss_empty_mb} / ${result.rss_loaded_mb} MB`, `median of 3 fresh processes`]);
    rows.push(['P7 bytes per file', `${result.bytes_per_file}`, 'target <= 250 (reference design ~500)']);
    rows.push(['P8 reopen to ready (open / since spawn)', `${result.reopen_ms} / ${result.reopen_since_spawn_ms} ms`, 'target <= 5000 ms']);
    rows.push(['fusion.db size', `${round(result.db_bytes / 1048576, 1)} MB`, `${Math.round(result.db_bytes / result.files)} bytes per file`]);

    // Throughput with synchronous=normal on the same data (first 200,000 events), and full on the same prefix.
    const limit = Math.min(200_000, L.files);
    const bn = build(join(dir, 'normal.db'), L, 'normal', limit);
    bn.store.close();
    const bf = build(join(dir, 'full2.db'), L, 'full', limit);
    // Realtime batches (P1's shape: 1,000 upserts of new files per durably committed batch).
    {
      const rtBatches = quick ? 50 : 200;
      let rtMs = 0;
      const now = Date.now();
      for (let i = 0; i < rtBatches; i++) {
        const ev = Array.from({ length: 1000 }, (_, k) => ({
          op: 'upsert', path: `/rt/d${i % 50}/f${i}_${k}.dat`, is_dir: false, size: k, mtime_ms: now - 1000 + k, is_atomic_write: true,
        }));
        const a0 = performance.now();
        bf.v.applyBatch('realtime', ev, { session_id: 'bench', batch_seq: 500_000 + i });
        rtMs += performance.now() - a0;
      }
      bf.v.applyBatch('realtime', [{ op: 'delete', path: '/rt' }], { session_id: 'bench', batch_seq: 500_000 + rtBatches });
      result.apply_realtime_full_events_per_s = Math.round((rtBatches * 1000) / (rtMs / 1000));
      rows.push(['apply realtime upserts, synchronous=full', `${result.apply_realtime_full_events_per_s.toLocaleString()} events/s`, `${rtBatches} batches of 1,000 new files`]);
    }
    bf.store.close();
    result.apply_normal_events_per_s = Math.round(bn.events / (bn.applyMs / 1000));
    result.apply_full_prefix_events_per_s = Math.round(bf.events / (bf.applyMs / 1000));
    result.normal_vs_full_ratio = round(result.apply_normal_events_per_s / result.apply_full_prefix_events_per_s, 2);
    rows.push(['apply, synchronous=normal (first 200k)', `${result.apply_normal_events_per_s.toLocaleString()} events/s`, `full on the same prefix: ${result.apply_full_prefix_events_per_s.toLocaleString()} events/s`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const w = [44, 30];
  console.log(`Fusion index bench (${quick ? 'quick' : 'full'}): ${L.files.toLocaleString()} files, ${result.dirs?.toLocaleString()} dirs`);
  for (const [a, b2, c2] of rows) console.log(`${a.padEnd(w[0])} ${String(b2).padEnd(w[1])} ${c2}`);
  console.log('RESULT ' + JSON.stringify(summarize(result)));
}

/** Groups the figures as `{value, unit, baseline, ratio, target}` rows for bench/run.mjs. */
function summarize(r) {
  const walk = r.baseline_bruteforce_walk_root_ms;
  const vsWalk = (v) => ({ value: v, unit: 'ms', baseline: walk, ratio: round(v / walk, 5), target: 5 });
  const search = (k) => ({ value: r[`search_${k}_p95_ms`], unit: 'ms', hits: r[`search_${k}_hits`], target: 300 });
  return {
    files: r.files,
    dirs: r.dirs,
    p5_stats_root_p99: vsWalk(r.stats_root_p99_ms),
    p5_stats_random_dirs_p99: vsWalk(r.stats_random_dirs_p99_ms),
    p5_stats_after_churn_p99: vsWalk(r.stats_after_churn_p99_ms),
    p6_search_all_dat_p95: search('all_dat'),
    p6_search_f1_dat_p95: search('f1_dat'),
    p6_search_path_glob_p95: search('path_glob'),
    p6_search_subtree_p95: search('subtree_dat'),
    p7_bytes_per_file: {
      value: r.bytes_per_file,
      unit: 'B',
      baseline: r.p7_reference_design_bytes_per_file,
      ratio: round(r.bytes_per_file / r.p7_reference_design_bytes_per_file, 3),
      target: r.p7_target_bytes_per_file,
      rss_empty_mb: r.rss_empty_mb,
      rss_loaded_mb: r.rss_loaded_mb,
      with_metadata: r.p7_with_metadata,
    },
    p13_usage_owner: r.p13_usage_owner,
    p13_top100_size: r.p13_top100_size,
    p13_histogram_size: r.p13_histogram_size,
    search_owner_sorted_p95: { value: r.search_owner_sorted_p95_ms, unit: 'ms', hits: r.search_owner_sorted_hits },
    p8_open_to_ready: { value: r.reopen_ms, unit: 'ms', since_spawn_ms: r.reopen_since_spawn_ms, target: r.p8_target_ms },
    list_big_dir: { value: r.list_big_cached_p99_ms, unit: 'ms', first_ms: r.list_big_first_ms, entries: r.list_big_dir_entries },
    apply_snapshot_full: { value: r.apply_full_events_per_s, unit: 'ev/s' },
    apply_realtime_full: { value: r.apply_realtime_full_events_per_s, unit: 'ev/s' },
    apply_normal_vs_full: {
      value: r.apply_normal_events_per_s,
      unit: 'ev/s',
      baseline: r.apply_full_prefix_events_per_s,
      ratio: r.normal_vs_full_ratio,
    },
    db_bytes_per_file: Math.round(r.db_bytes / r.files),
  };
}

const childMode = arg('child');
if (childMode) await child(childMode, arg('db'));
else await main();
