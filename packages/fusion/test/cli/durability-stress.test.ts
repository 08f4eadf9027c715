// R1 stress: kill -9 / SIGTERM the real CLI at random moments (before, during and after node-log folds, mid-audit,
// during close) under continuous ingest; every acknowledged op must survive and the in-flight one is all or nothing.
//
// Oracle: a reference engine (same engine code, in-process, never killed) is fed every op Fusion acknowledged.
// After each stop, a copy of fusion.db is opened in-process and its whole persisted state (nodes, tombstones,
// suspects, blind spots, audit context, clock histogram mode, aggregates, session batch_seq) is compared with the
// reference; then Fusion restarts and its API answers (search over every node, suspects, blind spots, stats)
// are compared too, and the in-flight op is retried the way an agent would (duplicate iff it was applied).
// FUSTOR_DURABILITY_CYCLES=<n> runs a longer soak (default: a ~60 s run).

import Database from 'better-sqlite3';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileEvent, MessageSource } from '@fustor/protocol';
import { openViewStore } from '../../src/views/open-view-store.js';
import type { ViewConfig, ViewEngine, ViewStore } from '../../src/contract.js';
import { checkAggregates, dumpView } from '../engine/dump.js';
import { waitFor } from '@fustor/test-helpers';
import { Client, openSession } from '../server/helpers.js';
import { readPort, requireBuild, runCli, spawnForeground } from './helpers.js';
import { seededRandom } from '@fustor/test-helpers';

const INGEST = 'fk_ingest_stress_0000000001';
const READ = 'fk_read_stress_000000000001';
const VIEW: ViewConfig = { id: 'v', hot_file_threshold_sec: 3600, tombstone_ttl_sec: 864_000 };
const FOLD_RECORDS = 65_536; // NodeStore.minCheckpointRecords in the CLI
const CYCLES = Number(process.env.FUSTOR_DURABILITY_CYCLES ?? 0) || 12;
const SEED = Number(process.env.FUSTOR_DURABILITY_SEED ?? 0) || 0x5eed;
const OLD = 1_600_000_000_000;

type Op =
  | { kind: 'batch'; seq: number; source: MessageSource; events: FileEvent[]; sentAt: number }
  | { kind: 'phase'; name: 'snapshot/start' | 'snapshot/end' | 'audit/start' | 'audit/end'; sentAt: number };

type StopMode = 'random' | 'pre-fold' | 'in-fold' | 'post-fold' | 'quiescent' | 'mid-audit' | 'term' | 'term-kill';
const MODES: StopMode[] = ['random', 'in-fold', 'post-fold', 'mid-audit', 'pre-fold', 'term', 'random', 'in-fold', 'term-kill', 'quiescent', 'random', 'in-fold'];

/** Produces a realistic op stream: realtime churn, snapshot passes with echoes of deleted paths, complete audits that drop a few files. */
class Workload {
  readonly #r: () => number;
  #seq = 0;
  #queue: Array<() => Op> = [];
  #snapFiles = new Map<number, Set<number>>();
  #n = 0;
  snapshotStarted = false;
  auditOpen = false;
  constructor(seed: number) {
    this.#r = seededRandom(seed);
  }
  #int(n: number): number {
    return Math.floor(this.#r() * n);
  }
  #batch(source: MessageSource, events: (sentAt: number) => FileEvent[]): () => Op {
    return () => {
      const sentAt = Date.now();
      return { kind: 'batch', seq: this.#seq++, source, events: events(sentAt), sentAt };
    };
  }
  #realtime(): () => Op {
    const n = 200 + this.#int(500);
    const plan = Array.from({ length: n }, () => [this.#r(), this.#int(40), this.#int(400), this.#r(), this.#int(1e6)] as const);
    return this.#batch('realtime', (sentAt) =>
      plan.map(([k, d, f, x, size]): FileEvent => {
        const path = `/rt/d${d}/f${f}`;
        if (k < 0.7) {
          // most samples 5 s behind the storage clock: the skew histogram's mode is 5 s
          const mtime = x < 0.8 ? sentAt - 5000 : sentAt - 20_000 - Math.floor(x * 40_000);
          return { op: 'upsert', path, is_dir: false, size, mtime_ms: mtime, ...(x > 0.9 ? { is_atomic_write: false } : {}) };
        }
        if (k < 0.995) return { op: 'delete', path, is_dir: false };
        return { op: 'delete', path: `/rt/d${d}`, is_dir: true };
      }),
    );
  }
  #snapshot(): () => Op {
    const s = this.#int(10);
    const files = this.#snapFiles.get(s) ?? new Set<number>();
    this.#snapFiles.set(s, files);
    const ev: FileEvent[] = [{ op: 'upsert', path: `/snap/s${s}`, is_dir: true, mtime_ms: OLD + s }];
    for (let i = 0; i < 300; i++) {
      const f = this.#int(600);
      files.add(f);
      ev.push({ op: 'upsert', path: `/snap/s${s}/f${f}`, is_dir: false, size: f, mtime_ms: OLD + f });
    }
    // late scan echoes of realtime paths: ignored where a realtime delete left a tombstone, created elsewhere
    for (let i = 0; i < 100; i++) ev.push({ op: 'upsert', path: `/rt/d${this.#int(40)}/f${this.#int(400)}`, is_dir: false, size: 1, mtime_ms: OLD });
    return this.#batch('snapshot', () => ev);
  }
  #phase(name: 'snapshot/start' | 'snapshot/end' | 'audit/start' | 'audit/end'): () => Op {
    return () => {
      if (name === 'snapshot/start') this.snapshotStarted = true;
      if (name === 'audit/start') this.auditOpen = true;
      if (name === 'audit/end') this.auditOpen = false;
      return { kind: 'phase', name, sentAt: Date.now() };
    };
  }
  /** A complete audit of some snapshot dirs: each listed dir reports all its files but ~3% (those are deleted at audit end). */
  #audit(): Array<() => Op> {
    const out: Array<() => Op> = [this.#phase('audit/start')];
    for (const [s, files] of this.#snapFiles) {
      const ev: FileEvent[] = [{ op: 'upsert', path: `/snap/s${s}`, is_dir: true, mtime_ms: OLD + s, audit_skipped: false }];
      for (const f of [...files].sort((a, b) => a - b)) {
        if (this.#r() < 0.03) {
          files.delete(f);
          continue;
        }
        ev.push({ op: 'upsert', path: `/snap/s${s}/f${f}`, is_dir: false, size: f, mtime_ms: OLD + f });
      }
      out.push(this.#batch('audit', () => ev));
    }
    out.push(this.#phase('audit/end'));
    return out;
  }
  /** A realtime batch touching thousands of distinct nodes: sent when the log is near the fold threshold, it certainly crosses it. */
  big(): Op {
    const picks = new Set<number>();
    while (picks.size < 3500) picks.add(this.#int(40 * 400));
    return this.#batch('realtime', (sentAt) =>
      [...picks].map((k): FileEvent => ({ op: 'upsert', path: `/rt/d${Math.floor(k / 400)}/f${k % 400}`, is_dir: false, size: k, mtime_ms: sentAt - 5000 })),
    )();
  }
  next(): Op {
    if (this.#queue.length === 0) {
      this.#n++;
      if (!this.snapshotStarted) this.#queue.push(this.#phase('snapshot/start'), this.#snapshot(), this.#snapshot(), this.#phase('snapshot/end'));
      else if (this.#n % 25 === 0) this.#queue.push(...this.#audit());
      else if (this.#n % 7 === 0) this.#queue.push(this.#snapshot());
      else this.#queue.push(this.#realtime());
    }
    return this.#queue.shift()!();
  }
  /** Puts an op that was not applied back at the head (an agent re-sends it). */
  retry(op: Op): void {
    this.#queue.unshift(() => ({ ...op, sentAt: Date.now() }));
  }
}

/** The never-killed reference: applies exactly the ops Fusion acknowledged, with its clock set to the op's send time. */
class Reference {
  readonly store: ViewStore;
  readonly v: ViewEngine;
  #now = 0;
  constructor() {
    this.store = openViewStore({ path: ':memory:', views: [VIEW], clocks: { physical: () => this.#now, monotonic: () => performance.now() } });
    this.v = this.store.view('v')!;
  }
  apply(op: Op, sessionId: string): void {
    this.#now = op.sentAt;
    if (op.kind === 'batch') this.v.applyBatch(op.source, op.events, { session_id: sessionId, batch_seq: op.seq });
    else if (op.name === 'audit/start') this.v.auditStart();
    else if (op.name === 'audit/end') this.v.auditEnd(true);
    else if (op.name === 'snapshot/end') this.v.snapshotEnd(true);
  }
}

/** The clock-independent part of a view's persisted state. */
function canonical(v: ViewEngine) {
  const d = dumpView(v);
  let mode: number | null = null;
  let best = -1;
  for (const [b, c] of d.histogram) if (c > best) [mode, best] = [b, c];
  // Times differ between the process and the reference (their clocks); the freshness flags and counts must not.
  const { last_event_at_ms: _, last_audit_end_ms: _a, last_snapshot_end_ms: _s, staleness_ms: _st, ...counters } = d.counters;
  return {
    nodes: Object.fromEntries(Object.entries(d.nodes).map(([p, [flags, size, mtime, , seen]]) => [p, [flags, size, mtime, seen]])),
    tombstones: Object.keys(d.tombstones).sort(),
    suspects: d.suspects.map((s) => [s[0], s[1]]),
    additions: d.additions,
    deletions: d.deletions,
    audit: d.audit ? d.audit.listed : null,
    counters,
    mode,
  };
}

function expectSameState(actual: ReturnType<typeof canonical>, expected: ReturnType<typeof canonical>, what: string): void {
  const { mode: am, ...a } = actual;
  const { mode: em, ...e } = expected;
  // name the first differing paths: a deep-equal failure on thousands of nodes prints only counts
  const diff = [...new Set([...Object.keys(a.nodes), ...Object.keys(e.nodes)])]
    .filter((p) => JSON.stringify(a.nodes[p]) !== JSON.stringify(e.nodes[p]))
    .slice(0, 10)
    .map((p) => `${p}: ${JSON.stringify(a.nodes[p] ?? null)} vs expected ${JSON.stringify(e.nodes[p] ?? null)}`);
  expect(diff, `${what}: nodes`).toEqual([]);
  expect(a, what).toEqual(e);
  // bucket = round((receive - mtime) / 1 s): Fusion received a little after the reference's send time
  if (em === null) expect(am, what).toBeNull();
  else expect(Math.abs((am ?? -100) - em), `${what}: skew mode ${am} vs ${em}`).toBeLessThanOrEqual(1);
}

interface Run {
  home: string;
  child: ChildProcess | null;
  client: Client | null;
  stderr: string;
}

async function boot(run: Run): Promise<Client> {
  rmSync(join(run.home, 'fusion.port'), { force: true });
  const child = spawnForeground(['--home', run.home, '--port', '0']);
  run.child = child;
  run.stderr = '';
  child.stderr!.on('data', (d) => (run.stderr += d));
  const port = await waitFor(() => readPort(run.home) ?? (child.exitCode !== null ? -1 : null), 'fusion.port', { timeoutMs: 30_000 });
  if (port === -1) throw new Error(`fusion exited at start: ${run.stderr}`);
  const client = new Client(`http://127.0.0.1:${port}`);
  await waitFor(async () => (await client.get('/readyz').catch(() => ({ status: 0 }))).status === 200, 'readyz', { timeoutMs: 30_000 });
  run.client = client;
  return client;
}

/** Sum of node-log records not yet folded into chunks, read from the live database (WAL readers do not block the writer). */
function pendingLog(ro: Database.Database | null): number {
  if (!ro) return 0;
  try {
    return (ro.prepare(`SELECT coalesce(sum(count), 0) AS n FROM nodes_log_1`).get() as { n: number }).n;
  } catch {
    return 0;
  }
}

/** Opens a copy of the stopped Fusion's files in-process (the original stays untouched for the restart). */
function openCopy(home: string, scratch: string, peek: (db: Database.Database) => void): ViewStore {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  for (const ext of ['', '-wal', '-shm']) {
    const f = join(home, `fusion.db${ext}`);
    if (existsSync(f)) copyFileSync(f, join(scratch, `fusion.db${ext}`));
  }
  const raw = new Database(join(scratch, 'fusion.db'));
  try {
    peek(raw);
  } finally {
    raw.close();
  }
  return openViewStore({ path: join(scratch, 'fusion.db'), views: [VIEW] });
}

async function apiState(c: Client) {
  const nodes: Record<string, unknown[]> = {};
  for (let page = 1; ; page++) {
    const r = await c.get(`/api/v1/views/v/search?pattern=*&page_size=1000&page=${page}`, READ);
    expect(r.status).toBe(200);
    for (const n of r.body.data.items) nodes[n.path] = [n.is_dir, n.size, n.mtime_ms, n.integrity_suspect, n.blind_spot, n.known_by_agent, n.audit_skipped ?? null];
    if (page >= r.body.data.pages) break;
  }
  const all = async (what: string) => {
    const out: unknown[] = [];
    for (let page = 1; ; page++) {
      const r = await c.get(`/api/v1/views/v/${what}?page_size=1000&page=${page}`, READ);
      expect(r.status).toBe(200);
      out.push(...r.body.data.items.map((i: { path: string; mtime_ms?: number; kind?: string }) => [i.path, i.mtime_ms ?? i.kind]));
      if (page >= r.body.data.pages) break;
    }
    return out.sort();
  };
  const stats = (await c.get(`/api/v1/views/v/stats?path=/`, READ)).body.data;
  const { watermark_ms, stable: _, can_realtime: _c, last_audit_end_ms: _a, last_snapshot_end_ms: _s, staleness_ms: _st, ...counts } = stats;
  return { state: { nodes, suspects: await all('suspects'), blind: await all('blind-spots'), counts }, skewSec: Math.round((Date.now() - watermark_ms) / 1000) };
}

async function refApiState(v: ViewEngine) {
  const nodes: Record<string, unknown[]> = {};
  const page = await v.search!({ pattern: '*', path: '/', type: 'any', page: 1, page_size: 10_000_000 } as never);
  for (const n of page.items) nodes[n.path] = [n.is_dir, n.size, n.mtime_ms, n.integrity_suspect, n.blind_spot, n.known_by_agent, n.audit_skipped ?? null];
  const suspects = v.suspects(1, 10_000_000).items.map((i) => [i.path, i.mtime_ms]).sort();
  const blind = v.blindSpots(undefined, 1, 10_000_000).items.map((i) => [i.path, i.kind]).sort();
  const { watermark_ms: _w, stable: _, last_audit_end_ms: _a, last_snapshot_end_ms: _s, staleness_ms: _st, ...counts } = v.stats('/')!;
  return { nodes, suspects, blind, counts };
}

describe('durability under random kill -9 / SIGTERM (R1 stress)', () => {
  const run: Run = { home: '', child: null, client: null, stderr: '' };
  beforeAll(() => requireBuild());
  afterAll(async () => {
    if (run.child && run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await once(run.child, 'exit');
    }
    await run.client?.close().catch(() => undefined); // already closed when a cycle failed mid-way
    if (run.home) rmSync(run.home, { recursive: true, force: true });
  });

  it(`${CYCLES} stop/restart cycles under ingest lose no acknowledged op and apply the in-flight one all or nothing`, async () => {
    run.home = mkdtempSync(join(tmpdir(), 'fustor-dur-stress-'));
    writeFileSync(
      join(run.home, 'fusion-config.yaml'),
      `server: { port: 0 }\nsession: { timeout_sec: 600 }\nlogging: { level: info }\n` +
        `views: [{ id: v, hot_file_threshold_sec: ${VIEW.hot_file_threshold_sec}, tombstone_ttl_sec: ${VIEW.tombstone_ttl_sec} }]\n` +
        `api_keys:\n  - { key: "${INGEST}", role: ingest }\n  - { key: "${READ}", role: read }\n`,
    );
    const dbPath = join(run.home, 'fusion.db');
    const ref = new Reference();
    const work = new Workload(SEED);
    const rand = seededRandom(SEED ^ 0xabcdef);
    let client = await boot(run);
    const sid = (await openSession(client, INGEST, { agent_id: 'a', pipe_id: 'p', view: 'v', session_timeout_sec: 600 })).session_id;
    const base = `/api/v1/pipe/sessions/${sid}`;
    const tally = { cycles: 0, acked: 0, inflightApplied: 0, inflightNotApplied: 0, pendingAtStop: [] as number[], folds: 0, log: [] as string[] };
    /** Client-observed ms per event (EMA): where in a request's processing a delayed kill lands. */
    let perEventMs = 0.05;
    let bigMs = 0;

    const send = (op: Op) =>
      op.kind === 'batch'
        ? client.post(`${base}/events`, INGEST, { message_source: op.source, batch_seq: op.seq, events: op.events })
        : client.post(`${base}/${op.name}`, INGEST, op.name.endsWith('/end') ? { complete: true } : {});

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const mode = MODES[cycle % MODES.length]!;
      const child = run.child!;
      const exited = once(child, 'exit');
      const ro = new Database(dbPath, { readonly: true, fileMustExist: true });
      let inflight: Op | null = null;
      let stopping = false;
      const deadline = Date.now() + 500 + Math.floor(rand() * 1500);
      const stop = (signal: 'SIGKILL' | 'SIGTERM') => {
        stopping = true;
        child.kill(signal);
      };
      // every third cycle an operator runs `keys list` meanwhile: a second process opening and closing fusion.db
      const sideCli = cycle % 3 === 1 ? runCli(['keys', 'list', '--home', run.home], 60_000) : null;
      let sideDone = false;
      void sideCli?.then(() => (sideDone = true));
      let lastPending = pendingLog(ro);
      let foldsSeen = 0;
      // traffic until this cycle's stop condition; every op is sent only after the previous one was answered
      for (;;) {
        const pending = pendingLog(ro);
        if (pending < lastPending) foldsSeen++;
        lastPending = pending;
        const nearFold = pending > FOLD_RECORDS - (mode === 'in-fold' ? 3000 : 900);
        const timeUp = Date.now() > deadline && (sideCli === null || sideDone);
        if (mode === 'pre-fold' && nearFold) break;
        if (mode === 'quiescent' && timeUp) break;
        if (mode === 'mid-audit' && work.auditOpen && timeUp && rand() < 0.5) break;
        if (mode === 'term' && timeUp) {
          inflight = work.next();
          const p = send(inflight).catch(() => null);
          stop('SIGTERM');
          const r = await p;
          if (r?.status === 200) {
            ref.apply(inflight, sid);
            tally.acked++;
            inflight = null;
          }
          break;
        }
        const crossing = mode === 'in-fold' && nearFold;
        const op: Op = crossing ? work.big() : work.next();
        inflight = op;
        const t0 = performance.now();
        const pr = send(op).catch(() => null);
        const killNow =
          (mode === 'random' && timeUp) ||
          crossing ||
          (mode === 'post-fold' && foldsSeen > 0 && timeUp) ||
          (mode === 'term-kill' && timeUp);
        if (killNow) {
          // land the kill inside the request's processing; for a batch crossing the fold threshold, towards its end,
          // where the commit (and the fold inside it) runs
          const expected = crossing && bigMs > 0 ? bigMs : perEventMs * (op.kind === 'batch' ? op.events.length : 50);
          await new Promise((r) => setTimeout(r, Math.floor(expected * (crossing ? 0.3 + rand() * 0.7 : rand() * 0.7))));
          if (mode === 'term-kill') {
            stop('SIGTERM');
            await new Promise((r) => setTimeout(r, Math.floor(rand() * 60)));
          }
          stop('SIGKILL');
        }
        const r = await pr;
        if (r?.status === 200) {
          if (op.kind === 'batch' && op.events.length === 3500) bigMs = performance.now() - t0;
          else if (op.kind === 'batch') perEventMs = perEventMs * 0.8 + ((performance.now() - t0) / op.events.length) * 0.2;
          if (op.kind === 'batch') expect(r.body.data.duplicate, `seq ${op.seq}`).toBe(false);
          ref.apply(op, sid);
          tally.acked++;
          inflight = null;
        } else if (!stopping) {
          throw new Error(`op ${JSON.stringify({ ...op, events: undefined })} answered ${r?.status}: ${JSON.stringify(r?.body)}`);
        }
        if (stopping) break;
      }
      ro.close();
      if (!stopping) stop(mode === 'quiescent' || mode === 'pre-fold' || mode === 'mid-audit' ? 'SIGKILL' : 'SIGTERM');
      await exited;
      await client.close();
      if (sideCli) expect((await sideCli).code, `cycle ${cycle}: keys list`).toBe(0);
      tally.cycles++;
      tally.folds += foldsSeen;

      // 1. what is on disk: a copy opened in-process, compared with the reference (+ the in-flight op if it was applied)
      const copy = openCopy(run.home, join(run.home, 'copy'), (db) => tally.pendingAtStop.push(pendingLog(db)));
      let applied = false;
      try {
        const sess = copy.loadSessions().find((s) => s.session_id === sid);
        expect(sess, `cycle ${cycle} (${mode}): session row after stop`).toBeDefined();
        const cv = copy.view('v')!;
        if (inflight?.kind === 'batch') {
          const last = sess!.last_batch_seq;
          expect([inflight.seq - 1, inflight.seq], `cycle ${cycle} (${mode}): last_batch_seq`).toContain(last);
          applied = last === inflight.seq;
        } else if (inflight?.kind === 'phase' && inflight.name.startsWith('audit/')) {
          applied = inflight.name === 'audit/start' ? dumpView(cv).audit !== null : dumpView(cv).audit === null;
        } else if (inflight !== null) applied = false;
        if (inflight !== null && applied) ref.apply(inflight, sid);
        if (inflight !== null) tally[applied ? 'inflightApplied' : 'inflightNotApplied']++;
        tally.log.push(`${mode}:${inflight === null ? 'idle' : inflight.kind === 'batch' ? `${inflight.source}#${inflight.seq}(${inflight.events.length})` : inflight.name}:${applied ? 'applied' : 'not'}:log=${tally.pendingAtStop.at(-1)}`);
        expectSameState(canonical(cv), canonical(ref.v), `cycle ${cycle} (${mode}) on disk`);
        expect(checkAggregates(cv), `cycle ${cycle} aggregates`).toEqual([]);
      } finally {
        copy.close();
      }

      // 2. what the restarted Fusion serves (after some stops, a first start is itself killed while it loads)
      if (mode === 'quiescent' || mode === 'term-kill' || mode === 'pre-fold') {
        const early = spawnForeground(['--home', run.home, '--port', '0']);
        await new Promise((r) => setTimeout(r, Math.floor(rand() * 600)));
        early.kill('SIGKILL');
        if (early.exitCode === null && early.signalCode === null) await once(early, 'exit');
      }
      client = await boot(run);
      const served = await apiState(client);
      expect(served.state, `cycle ${cycle} (${mode}) served after restart`).toEqual(await refApiState(ref.v));
      const refMode = canonical(ref.v).mode;
      if (refMode !== null) expect(Math.abs(served.skewSec - refMode), `cycle ${cycle}: served skew ${served.skewSec} s`).toBeLessThanOrEqual(1);
      const loaded = /"msg":"view loaded"[^\n]*"files":(\d+)/.exec(run.stderr) ?? /view loaded[^\n]*files[=:" ]+(\d+)/.exec(run.stderr);
      tally.log.push(loaded ? `loaded=${loaded[1]}` : 'no-load-line');
      if (loaded) expect(Number(loaded[1]), `cycle ${cycle}: 'view loaded' log`).toBe(ref.v.counters().file_count);

      // 3. the agent re-sends what was in flight: a duplicate iff it had been applied
      if (inflight !== null) {
        const r = await send({ ...inflight, sentAt: Date.now() } as Op);
        if (inflight.kind === 'batch') {
          expect(r.status, `cycle ${cycle}: retry of seq ${inflight.seq}`).toBe(200);
          expect(r.body.data.duplicate, `cycle ${cycle}: retry of seq ${inflight.seq}`).toBe(applied);
          if (!applied) ref.apply({ ...inflight, sentAt: Date.now() }, sid);
        } else if (inflight.name === 'audit/end' && applied) {
          expect(r.status).toBe(409);
        } else {
          expect(r.status, `cycle ${cycle}: retry of ${inflight.name}`).toBe(200);
          if (!applied || inflight.name === 'audit/start') ref.apply(inflight, sid);
        }
      }
    }

    // after the last restart the stream continues normally
    const tail = work.next();
    const r = await send(tail);
    expect(r.status).toBe(200);
    ref.apply(tail, sid);
    expect((await apiState(client)).state).toEqual(await refApiState(ref.v));
    process.stderr.write(`durability-stress: ${JSON.stringify({ ...tally, files: ref.v.counters().file_count })}\n`);
    expect(tally.cycles).toBe(CYCLES);
    ref.store.close();
  }, 60_000 + CYCLES * 15_000);
});
