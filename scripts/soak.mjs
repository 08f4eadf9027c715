#!/usr/bin/env node
// Soak (`npm run soak -- --minutes 10`, not in CI): random file operations on a watched tree while Fusion and the
// agents are kill -9'ed and restarted, Fusion goes away for a while, and an agent's disk fills up; after every busy
// spell the oracle (test/e2e/helpers/oracle-core.mjs) must find Fusion's view equal to the directory again.
// Prints operations, restarts, faults and differences, and writes bench/results/soak-latest.json.

import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffEntries, formatDiff, isEmptyDiff, walkDisk, walkTree } from '../test/e2e/helpers/oracle-core.mjs';
import { canMountTmpfs, DiskFaults } from './soak/faults.mjs';
import { agentUp, fusionReady, makeAgent, makeFusion, sleep } from './soak/procs.mjs';
import { makeRng, Workload } from './soak/workload.mjs';

const argv = process.argv.slice(2);
const arg = (name, dflt) => (argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : dflt);
const MINUTES = arg('minutes', 10);
const SEED = arg('seed', Date.now() % 1e9);
/** How long a quiet spell may take to converge before it counts as a difference. */
const CONVERGE_MS = arg('converge-sec', 120) * 1000;

const rng = makeRng(SEED);
const between = (lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));
const root = mkdtempSync(join(tmpdir(), 'fustor-soak-'));
const data = join(root, 'data');
mkdirSync(data);
mkdirSync(join(root, 'logs'));
const faults = new DiskFaults(canMountTmpfs() ? 'tmpfs' : 'injected');
/** What the soak did and when, beside the daemons' logs, to line their errors up with the faults. */
const note = (msg) => appendFileSync(join(root, 'logs', 'soak.log'), `${new Date().toISOString()} ${msg}\n`);
const freeMb = (dir) => {
  try {
    const st = statfsSync(dir);
    return Math.round((st.bavail * st.bsize) / 1e5) / 10;
  } catch {
    return null;
  }
};

const fusion = await makeFusion(root);
const homes = ['agent-a', 'agent-b'].map((n) => join(root, n));
for (const h of homes) faults.prepareHome(h, 24);
const agents = [await makeAgent(root, 'agent-a', fusion, data, homes[0]), await makeAgent(root, 'agent-b', fusion, data, homes[1])];
const all = [fusion, ...agents];

const stats = {
  seed: SEED,
  minutes: MINUTES,
  disk_full_mode: faults.mode,
  cycles: 0,
  operations: 0,
  operations_by_kind: {},
  restarts: { fusion_kill9: 0, fusion_outage: 0, agent_kill9: 0 },
  faults: { fusion_kill9: 0, fusion_outage: 0, agent_kill9: 0, disk_full: 0, none: 0 },
  quiet_checks: 0,
  matched: 0,
  differences: 0,
  difference_samples: [],
  converge_ms: [],
  /** Agents restarted after a quiet period that did not converge, so later cycles start from a matching view. */
  heals: 0,
  heals_converged: 0,
  unexpected_exits: {},
};

let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  await Promise.all(all.map((d) => d.kill9()));
  faults.unmountAll();
  if (process.env.FUSTOR_SOAK_KEEP !== '1') rmSync(root, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => cleanup().then(() => process.exit(130)));

const tree = (path, o) =>
  fetch(`${fusion.url}/api/v1/views/soak/tree?${new URLSearchParams({ path, depth: String(o.depth), page: String(o.page ?? 1), page_size: String(o.pageSize) })}`, {
    headers: { 'x-api-key': fusion.adminKey },
    signal: AbortSignal.timeout(10_000),
  }).then(async (r) => {
    if (r.status !== 200) throw new Error(`tree ${path}: ${r.status}`);
    return (await r.json()).data;
  });

/** Waits until the view equals the directory; returns the time it took, or the last difference. */
async function quiet() {
  const t0 = Date.now();
  let last = '(no answer from Fusion)';
  while (Date.now() - t0 < CONVERGE_MS) {
    try {
      const d = diffEntries(walkDisk(data), await walkTree(tree));
      if (isEmptyDiff(d)) return { ok: true, ms: Date.now() - t0 };
      last = formatDiff(d, 5);
    } catch (err) {
      last = String(err.message ?? err);
    }
    await sleep(500);
  }
  return { ok: false, ms: Date.now() - t0, diff: last };
}

/** Runs the workload for `ms`, about 25 operations a second. */
async function busy(work, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    work.step();
    await sleep(between(10, 70));
  }
}

async function bringUp() {
  for (const d of all) {
    if (!d.running) d.start();
  }
  if (!(await fusionReady(fusion, 60_000))) throw new Error('Fusion did not become ready within 60 s; see the logs in ' + root);
  for (const a of agents) if (!(await agentUp(a, 60_000))) throw new Error(`${a.name} did not come up within 60 s`);
}

/** One fault, running beside the workload. */
async function fault(kind) {
  stats.faults[kind]++;
  note(`fault ${kind}`);
  if (kind === 'fusion_kill9') {
    await sleep(between(500, 4000));
    await fusion.kill9();
    note('fusion killed');
    stats.restarts.fusion_kill9++;
    await sleep(between(0, 3000));
    fusion.start();
    note('fusion started');
  } else if (kind === 'fusion_outage') {
    await sleep(between(500, 2000));
    await fusion.stop();
    note('fusion stopped');
    stats.restarts.fusion_outage++;
    await sleep(between(5000, 20_000));
    fusion.start();
    note('fusion started');
  } else if (kind === 'agent_kill9') {
    const a = agents[between(0, agents.length - 1)];
    await sleep(between(500, 4000));
    await a.kill9();
    note(`${a.name} killed`);
    stats.restarts.agent_kill9++;
    await sleep(between(0, 3000));
    a.start();
    note(`${a.name} started`);
  } else if (kind === 'disk_full') {
    // the spool must take the events: Fusion is away while the agent's disk is full
    const a = agents[between(0, agents.length - 1)];
    faults.fill(a);
    note(`${a.name} home full (${freeMb(a.home)} MB free)`);
    await fusion.stop();
    note('fusion stopped');
    stats.restarts.fusion_outage++;
    await sleep(between(4000, 10_000));
    fusion.start();
    note('fusion started');
    await sleep(between(1000, 4000));
    faults.release(a);
    note(`${a.name} home released (${freeMb(a.home)} MB free)`);
  }
}

const ALL_FAULTS = ['fusion_kill9', 'fusion_outage', 'agent_kill9', 'disk_full', 'none'];
/** `--faults a,b` limits the draw (e.g. `--faults disk_full` to rehearse one kind). */
const FAULTS = argv.includes('--faults') ? argv[argv.indexOf('--faults') + 1].split(',') : ALL_FAULTS;
for (const f of FAULTS) if (!ALL_FAULTS.includes(f)) throw new Error(`--faults: unknown fault '${f}' (known: ${ALL_FAULTS.join(', ')})`);

async function main() {
  const work = new Workload(data, rng);
  work.seed(20, 30);
  await bringUp();
  const first = await quiet();
  if (!first.ok) throw new Error(`the first snapshot did not converge:\n${first.diff}`);
  const deadline = Date.now() + MINUTES * 60_000;
  while (Date.now() < deadline) {
    stats.cycles++;
    const kind = FAULTS[between(0, FAULTS.length - 1)];
    const busyMs = between(6000, 15_000);
    await Promise.all([busy(work, busyMs), fault(kind)]);
    await bringUp();
    const q = await quiet();
    note(q.ok ? `quiet: converged in ${q.ms} ms` : `quiet: DIFFERENT after ${q.ms} ms`);
    stats.quiet_checks++;
    if (q.ok) {
      stats.matched++;
      stats.converge_ms.push(q.ms);
    } else {
      stats.differences++;
      if (stats.difference_samples.length < 5) stats.difference_samples.push({ cycle: stats.cycles, fault: kind, diff: q.diff });
      // restart the agents (a fresh session snapshots), so one stuck state does not hide the next cycles
      stats.heals++;
      note('heal: restarting both agents');
      for (const a of agents) await a.stop();
      await bringUp();
      const healed = await quiet();
      note(healed.ok ? `heal: converged in ${healed.ms} ms` : 'heal: still DIFFERENT');
      if (healed.ok) stats.heals_converged++;
    }
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    console.log(`cycle ${stats.cycles}: ${kind}, ${work.total} ops so far, ${q.ok ? `converged in ${(q.ms / 1000).toFixed(1)} s` : `DIFFERENT after ${CONVERGE_MS / 1000} s:\n${q.diff}`} (${left} s left)`);
  }
  stats.operations = work.total;
  stats.operations_by_kind = work.counts;
  for (const d of all) stats.unexpected_exits[d.name] = d.unexpectedExits;
  const sorted = [...stats.converge_ms].sort((a, b) => a - b);
  const summary = {
    ...stats,
    converge_ms: undefined,
    converge_median_ms: sorted[Math.floor(sorted.length / 2)] ?? null,
    converge_max_ms: sorted[sorted.length - 1] ?? null,
    files_at_end: [...walkDisk(data).values()].filter((e) => !e.is_dir).length,
  };
  console.log('\nsoak summary');
  console.log(`  ${MINUTES} min, seed ${SEED}, ${stats.cycles} cycles, disk-full episodes by ${faults.mode}`);
  console.log(`  operations: ${stats.operations} (${Object.entries(work.counts).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  console.log(`  restarts: Fusion kill -9 ${stats.restarts.fusion_kill9}, Fusion outages ${stats.restarts.fusion_outage}, agent kill -9 ${stats.restarts.agent_kill9}`);
  console.log(`  faults: ${Object.entries(stats.faults).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`  oracle: ${stats.matched}/${stats.quiet_checks} quiet periods matched, ${stats.differences} with differences; convergence median ${summary.converge_median_ms} ms, max ${summary.converge_max_ms} ms`);
  console.log(`  after a difference: agents restarted ${stats.heals} times, converged again ${stats.heals_converged} times`);
  for (const d of stats.difference_samples) console.log(`  difference after cycle ${d.cycle} (${d.fault}):\n    ${d.diff.split('\n').join('\n    ')}`);
  console.log(`  unexpected exits: ${JSON.stringify(stats.unexpected_exits)}`);
  mkdirSync(new URL('../bench/results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../bench/results/soak-latest.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), ...summary }, null, 2) + '\n');
  console.log(`RESULT ${JSON.stringify(summary)}`);
  return stats.differences === 0 && Object.values(stats.unexpected_exits).every((n) => n === 0);
}

let ok = false;
try {
  ok = await main();
} catch (err) {
  console.error(`soak failed: ${err.stack ?? err}`);
  process.env.FUSTOR_SOAK_KEEP = '1';
  console.error(`logs kept in ${root}/logs`);
} finally {
  await cleanup();
}
process.exit(ok ? 0 : 1);
