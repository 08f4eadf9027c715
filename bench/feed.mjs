#!/usr/bin/env node
// P11 (change feed latency: a batch's 200 → its SSE frame) and P12 (a finished folder → its `stable` webhook), real processes.
//
// node bench/feed.mjs [--quick]     (needs `npx tsc -b` first)

import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pct, round, sleep, startStack, until } from './_stack.mjs';

const quick = process.argv.includes('--quick');
const OPS = quick ? 300 : 1000;
const RATE = 200; // per second, as P4
const HOT_SEC = 3;
const FOLDERS = quick ? 3 : 6;

/** Follows the view's feed as SSE and records when each cursor's frame arrived (performance.now()). */
function follow(stack) {
  const arrived = new Map();
  let buf = '';
  const req = request(`${stack.url}/api/v1/views/bench/changes`, { headers: { accept: 'text/event-stream', 'x-api-key': stack.keys.read } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      const now = performance.now();
      buf += chunk;
      for (let at = buf.indexOf('\n\n'); at >= 0; at = buf.indexOf('\n\n')) {
        const m = /^id: (\d+)$/m.exec(buf.slice(0, at));
        if (m) arrived.set(Number(m[1]), now);
        buf = buf.slice(at + 2);
      }
    });
  });
  req.end();
  return { arrived, close: () => req.destroy() };
}

/** P11: the bench plays the agent (so it sees each batch's 200) with P4's workload: create, modify, delete at 200/s. */
async function p11(work) {
  const stack = await startStack(work, 'p11');
  const feed = follow(stack);
  try {
    const s = await stack.call('POST', '/api/v1/pipe/sessions', stack.keys.ingest, { agent_id: 'bench', pipe_id: 'p', view: 'bench' });
    let seq = 0;
    const post = (events) => stack.call('POST', `/api/v1/pipe/sessions/${s.session_id}/events`, stack.keys.ingest, { message_source: 'realtime', batch_seq: seq++, events });
    await post([{ op: 'upsert', path: '/lat', is_dir: true, mtime_ms: Date.now() }]);
    await sleep(300);
    const base = (await stack.call('GET', '/api/v1/views/bench/changes?limit=1', stack.keys.read)).latest_cursor;
    const acked = []; // [cursor, time of the 200]
    const phase = async (make) => {
      const t0 = performance.now();
      for (let i = 0; i < OPS; i++) {
        const wait = t0 + (i * 1000) / RATE - performance.now();
        if (wait > 1) await sleep(wait);
        await post([make(i)]);
        acked.push([base + acked.length + 1, performance.now()]);
      }
    };
    const now = () => Date.now();
    await phase((i) => ({ op: 'upsert', path: `/lat/f${i}`, is_dir: false, size: 1, mtime_ms: now() }));
    await phase((i) => ({ op: 'upsert', path: `/lat/f${i}`, is_dir: false, size: 2, mtime_ms: now() }));
    await phase((i) => ({ op: 'delete', path: `/lat/f${i}` }));
    await until('every frame', 10_000, async () => feed.arrived.has(acked.at(-1)[0]));
    const lat = acked.map(([c, t]) => Math.max(0, (feed.arrived.get(c) ?? Infinity) - t));
    const missing = lat.filter((x) => x === Infinity).length;
    const ok = lat.filter((x) => x !== Infinity);
    const before = acked.filter(([c, t]) => (feed.arrived.get(c) ?? Infinity) <= t).length;
    const r = { batches: acked.length, p50_ms: round(pct(ok, 50), 2), p99_ms: round(pct(ok, 99), 2), max_ms: round(Math.max(...ok), 2), missing, frame_before_200: before, target: 'p99 <= 50 ms' };
    console.log(`P11: ${r.batches} batches at ${RATE}/s: 200 → frame p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms (frame already there when the 200 arrived: ${before}; missing ${missing})`);
    return r;
  } catch (err) {
    err.message += `\n${stack.logs()}`;
    throw err;
  } finally {
    feed.close();
    await stack.stop();
  }
}

/** P12: a real agent watches the tree; folders are written (files appended over ~1 s), then left alone. */
async function p12(work) {
  const dir = join(work, 'p12-data');
  mkdirSync(join(dir, 'incoming'), { recursive: true });
  const got = []; // [path, arrival Date.now(), delivery id]
  const rx = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c)).on('end', () => {
      const b = JSON.parse(raw);
      if (b.event === 'stable') got.push([b.path, Date.now(), req.headers['x-fustor-delivery']]);
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => rx.listen(0, '127.0.0.1', r));
  const stack = await startStack(work, 'p12', { hotSec: HOT_SEC, agentDir: dir });
  try {
    stack.startAgent();
    await until('the first complete snapshot', 60_000, async () => (await stack.call('GET', '/api/v1/views/bench/stats?path=/', stack.keys.read)).snapshot_complete, 50);
    await stack.call('POST', '/api/v1/views/bench/subscriptions', stack.keys.admin, {
      path: '/incoming', on: ['stable'], granularity: 'child', url: `http://127.0.0.1:${rx.address().port}/hook`, secret: 'bench-secret-value',
    });
    const lastWrite = new Map();
    await Promise.all(
      Array.from({ length: FOLDERS }, async (_, k) => {
        const folder = join(dir, 'incoming', `run${k}`);
        await sleep(k * 400);
        mkdirSync(folder);
        for (let step = 0; step < 10; step++) {
          for (let f = 0; f < 5; f++) appendFileSync(join(folder, `part${f}.fastq`), 'ACGT'.repeat(256));
          lastWrite.set(`/incoming/run${k}`, Date.now());
          await sleep(100);
        }
        writeFileSync(join(folder, 'DONE'), '');
        lastWrite.set(`/incoming/run${k}`, Date.now());
      }),
    );
    await until('a stable delivery per folder', (HOT_SEC + 30) * 1000, async () => new Set(got.map((g) => g[0])).size === FOLDERS, 50);
    // Left alone for two more thresholds: nothing else may arrive.
    await sleep(2 * HOT_SEC * 1000);
    const perFolder = new Map();
    for (const [p] of got) perFolder.set(p, (perFolder.get(p) ?? 0) + 1);
    const delays = [...lastWrite].map(([p, t]) => got.find((g) => g[0] === p)[1] - t - HOT_SEC * 1000);
    const r = {
      folders: FOLDERS,
      hot_threshold_sec: HOT_SEC,
      delay_after_threshold_ms: { median: round(pct(delays, 50)), max: round(Math.max(...delays)) },
      // one count per folder, in folder order (bench/_targets.mjs checks every one is 1)
      deliveries_per_folder: Array.from({ length: FOLDERS }, (_, k) => perFolder.get(`/incoming/run${k}`) ?? 0),
      target: 'arrives <= threshold + 2000 ms after the last write; exactly one per quiet period',
    };
    console.log(`P12: ${FOLDERS} folders, threshold ${HOT_SEC} s: stable webhook ${r.delay_after_threshold_ms.median} ms (max ${r.delay_after_threshold_ms.max} ms) after threshold + last write; deliveries per folder ${r.deliveries_per_folder.join(',')}`);
    return r;
  } catch (err) {
    err.message += `\n${stack.logs()}`;
    throw err;
  } finally {
    rx.close();
    await stack.stop();
  }
}

const work = mkdtempSync(join(tmpdir(), 'fustor-bench-feed-'));
const result = {};
let failed = null;
for (const [name, fn] of [['p11_feed_latency', p11], ['p12_stable_webhook', p12]]) {
  try {
    result[name] = await fn(work);
  } catch (err) {
    failed ??= err;
    result[name] = { error: err.message.split('\n')[0] };
    console.error(err.message);
  }
}
rmSync(work, { recursive: true, force: true });
console.log(`RESULT ${JSON.stringify(result)}`);
if (failed) process.exit(1);
