// P13 (consumers.md §2 reports on the root of the bench view) beside a brute-force baseline measured in the same run; imported by fusion-index.mjs.
//
// Baseline: the same three answers computed by plain JavaScript over an array of one object per node
// ({ isDir, size, mtime, uid }) — what a report costs without the index's typed columns and bounded
// heap: a Map per owner, a full sort for the top 100, Math.log2 per file. The array is built once,
// outside the timings.

import { monitorEventLoopDelay } from 'node:perf_hooks';

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

async function timeAsync(fn, n) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return xs;
}

/** One plain object per live node, read from the engine's table (bench only). */
function nodeObjects(v) {
  const t = v.state.t;
  const out = [];
  for (let id = 1; id < t.hwm; id++) {
    if ((t.flags[id] & 32) === 0) continue;
    out.push({ isDir: (t.flags[id] & 1) !== 0, size: t.size[id], mtime: t.mtime[id], uid: t.uid[id] });
  }
  return out;
}

function bruteUsage(nodes) {
  const m = new Map();
  for (const n of nodes) {
    let g = m.get(n.uid);
    if (!g) m.set(n.uid, (g = { files: 0, dirs: 0, size: 0, latest: -Infinity }));
    if (n.isDir) g.dirs++;
    else {
      g.files++;
      g.size += n.size;
    }
    if (n.mtime > g.latest) g.latest = n.mtime;
  }
  return [...m.entries()].sort((a, b) => b[1].size - a[1].size);
}

function bruteTop(nodes) {
  return nodes.filter((n) => !n.isDir).sort((a, b) => b.size - a.size).slice(0, 100);
}

function bruteHistogram(nodes) {
  const bins = new Map();
  for (const n of nodes) {
    if (n.isDir) continue;
    const k = n.size < 1 ? 0 : Math.floor(Math.log2(n.size)) + 1;
    const b = bins.get(k) ?? { count: 0, size: 0 };
    b.count++;
    b.size += n.size;
    bins.set(k, b);
  }
  return bins;
}

/**
 * Runs each report `runs` times at the root, checks it agrees with the baseline's answer, and
 * records the longest event-loop stall while they ran (the reports yield between slices).
 */
export async function measureP13(v, runs = 20) {
  const reports = {
    usage_owner: () => v.usage({ path: '/', by: 'owner', page: 1, page_size: 100 }),
    top100_size: () => v.top({ path: '/', by: 'size', order: 'desc', type: 'file', limit: 100 }),
    histogram_size: () => v.histogram({ path: '/', of: 'size' }),
  };
  const nodes = nodeObjects(v);
  const brute = { usage_owner: () => bruteUsage(nodes), top100_size: () => bruteTop(nodes), histogram_size: () => bruteHistogram(nodes) };

  // Same answers: the report and the baseline must agree before their times mean anything.
  const u = await reports.usage_owner();
  const bu = bruteUsage(nodes);
  if (u.total !== bu.length || u.items[0].total_size !== bu[0][1].size) throw new Error('P13: usage disagrees with the brute-force baseline');
  const top = await reports.top100_size();
  if (top[99].size !== bruteTop(nodes)[99].size) throw new Error('P13: top disagrees with the brute-force baseline');
  const hg = await reports.histogram_size();
  if (hg.file_count !== nodes.filter((n) => !n.isDir).length) throw new Error('P13: histogram disagrees with the brute-force baseline');

  const out = {};
  const rows = [];
  const stall = monitorEventLoopDelay({ resolution: 1 });
  for (const [name, fn] of Object.entries(reports)) {
    stall.reset();
    stall.enable();
    const xs = await timeAsync(fn, runs);
    stall.disable();
    const bs = await timeAsync(async () => brute[name](), Math.max(5, Math.floor(runs / 4)));
    const p95 = round(percentile(xs, 95), 1);
    const base = round(percentile(bs, 95), 1);
    // monitorEventLoopDelay reports ns; minus its 1 ms sampling interval.
    const maxStall = round(Math.max(0, stall.max / 1e6 - 1), 1);
    out[`p13_${name}`] = { value: p95, unit: 'ms', p50: round(percentile(xs, 50), 1), max_loop_stall_ms: maxStall, baseline: base, ratio: round(p95 / base, 3), target: 200 };
    rows.push([`P13 ${name.replace('_', ' ')} at /, p95`, `${p95} ms`, `brute force ${base} ms; longest event-loop stall ${maxStall} ms; target <= 200 ms`]);
  }
  out.p13_owners = u.total;
  out.p13_histogram_bins = hg.bins.length;
  return { out, rows };
}
