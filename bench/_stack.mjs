// Shared by bench scripts (not a bench itself: run.mjs skips files starting with '_'): a real Fusion (+ agent) in a temp home.

import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FUSION_BIN = join(REPO, 'packages/fusion/bin/fustor-fusion.js');
export const AGENT_BIN = process.env.FUSTOR_BENCH_AGENT_BIN ?? join(REPO, 'packages/agent/bin/fustor-agent.js');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
export const round = (x, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

export async function until(what, timeoutMs, probe, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      if (err?.fatal) throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

function launch(bin, home, logFile, env = {}) {
  const fd = openSync(logFile, 'a');
  // FUSTOR_BENCH_CPU_PROF=DIR: V8 CPU profiles of every daemon (and its threads) into DIR.
  const prof = process.env.FUSTOR_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FUSTOR_BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, bin, 'start', '--home', home], { stdio: ['ignore', fd, fd], env: { ...process.env, FUSTOR_HOME: home, ...env } });
  closeSync(fd);
  const done = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, done };
}

export async function stopProc(p) {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
  await p.done;
  clearTimeout(t);
}

export function tailOf(file, n = 15) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Fusion on a fresh home with one view `bench` and ingest/read/admin keys; `agentDir` also writes an agent
 * config watching that directory (start it with stack.startAgent()).
 */
export async function startStack(work, label, { hotSec = 600, agentDir = null, writeSettleMs = 200 } = {}) {
  const home = join(work, `home-${label}`);
  mkdirSync(join(home, 'logs'), { recursive: true });
  const port = await freePort();
  const keys = Object.fromEntries(['ingest', 'read', 'admin'].map((r) => [r, `fk_${r}_${randomBytes(16).toString('hex')}`]));
  writeFileSync(
    join(home, 'fusion-config.yaml'),
    stringify({
      server: { host: '127.0.0.1', port, max_body_mb: 10 },
      storage: { path: 'fusion.db' },
      views: [{ id: 'bench', hot_file_threshold_sec: hotSec }],
      api_keys: [
        { key: keys.ingest, role: 'ingest', views: ['bench'] },
        { key: keys.read, role: 'read', views: ['bench'] },
        { key: keys.admin, role: 'admin' },
      ],
    }),
  );
  if (agentDir) {
    writeFileSync(
      join(home, 'agent-config.yaml'),
      stringify({
        agent_id: `bench-${label}`,
        console: { host: '127.0.0.1', port: await freePort() },
        sources: [{ id: 's', type: 'fs', config: { uri: agentDir, driver_params: { write_settle_ms: writeSettleMs } } }],
        senders: [{ id: 'f', type: 'fusion', config: { endpoint: `http://127.0.0.1:${port}`, credential: keys.ingest, view: 'bench' } }],
        pipes: [{ id: 'p', source_id: 's', sender_id: 'f', audit_interval_sec: 3600, sentinel_interval_sec: 3600 }],
      }),
    );
  }
  const url = `http://127.0.0.1:${port}`;
  const fusion = launch(FUSION_BIN, home, join(home, 'logs', 'fusion.out'));
  const ready = (p) =>
    until('fusion /readyz', 600_000, async () => {
      if (p.child.exitCode !== null) throw Object.assign(new Error(`fusion exited with code ${p.child.exitCode}`), { fatal: true });
      return (await fetch(`${url}/readyz`)).status === 200;
    }, 10);
  const stack = {
    home, url, keys, fusion, agent: null,
    /** Kills Fusion (SIGKILL: no clean close, the node log is replayed) and starts it again; answers ms from spawn to /readyz 200. */
    async restartFusion(signal = 'SIGKILL') {
      const old = stack.fusion;
      if (old.child.exitCode === null && old.child.signalCode === null) {
        old.child.kill(signal);
        await old.done;
      }
      const t0 = performance.now();
      stack.fusion = launch(FUSION_BIN, home, join(home, 'logs', 'fusion.out'));
      await ready(stack.fusion);
      return performance.now() - t0;
    },
    startAgent() {
      stack.agent = launch(AGENT_BIN, home, join(home, 'logs', 'agent.out'));
    },
    async stop() {
      await stopProc(stack.agent);
      await stopProc(stack.fusion);
    },
    logs() {
      return `--- fusion ---\n${tailOf(join(home, 'logs', 'fusion.out'))}\n--- agent ---\n${tailOf(join(home, 'logs', 'agent.out'))}`;
    },
    async call(method, path, key, body) {
      const res = await fetch(url + path, {
        method,
        headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await res.json();
      if (res.status >= 300 || json.code !== 0) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
      return json.data;
    },
  };
  try {
    await until('fusion /readyz', 60_000, async () => {
      if (fusion.child.exitCode !== null) throw Object.assign(new Error(`fusion exited with code ${fusion.child.exitCode}`), { fatal: true });
      return (await fetch(`${url}/readyz`)).status === 200;
    });
  } catch (err) {
    await stopProc(fusion);
    err.message += `\n${stack.logs()}`;
    throw err;
  }
  return stack;
}
