// Soak: the Fusion and agent daemons as foreground children that can be kill -9'ed, stopped and restarted.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FUSION_BIN = fileURLToPath(new URL('../../packages/fusion/bin/fustor-fusion.js', import.meta.url));
const AGENT_BIN = fileURLToPath(new URL('../../packages/agent/bin/fustor-agent.js', import.meta.url));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 200 ms until it returns true or `ms` pass; returns whether it did. */
export async function until(check, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

/** One daemon in the foreground: its output appended to `logFile`. */
export class Daemon {
  #child = null;
  #exited = null;
  /** Exits nobody asked for (a crash is a finding). */
  unexpectedExits = 0;
  #expectingExit = false;

  constructor(name, bin, home, logFile, env = {}) {
    Object.assign(this, { name, bin, home, logFile, env });
  }

  get running() {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  start() {
    if (this.running) return;
    const fd = openSync(this.logFile, 'a');
    writeSync(fd, `===== ${new Date().toISOString()} start ${this.name}\n`);
    const child = spawn(process.execPath, [this.bin, 'start', '--home', this.home], {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, FUSTOR_HOME: '', ...this.env },
    });
    closeSync(fd);
    this.#expectingExit = false;
    this.#child = child;
    this.#exited = new Promise((r) => child.once('exit', (code, signal) => {
      if (!this.#expectingExit) this.unexpectedExits++;
      r({ code, signal });
    }));
  }

  async kill9() {
    if (!this.running) return;
    this.#expectingExit = true;
    this.#child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000) {
    if (!this.running) return;
    this.#expectingExit = true;
    this.#child.kill('SIGTERM');
    const done = await Promise.race([this.#exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) await this.kill9();
  }
}

const writeJsonYaml = (dir, file, doc) => writeFileSync(join(dir, file), JSON.stringify(doc, null, 2));

/** Fusion with one view `soak`, a fresh port, an ingest and an admin key. */
export async function makeFusion(root) {
  const home = join(root, 'fusion-home');
  mkdirSync(home, { recursive: true });
  const port = await freePort();
  const ingestKey = `fk_ingest_${randomBytes(18).toString('hex')}`;
  const adminKey = `fk_admin_${randomBytes(18).toString('hex')}`;
  writeJsonYaml(home, 'fusion-config.yaml', {
    server: { host: '127.0.0.1', port, max_body_mb: 10 },
    storage: { path: 'fusion.db' },
    session: { timeout_sec: 3 },
    views: [{ id: 'soak', hot_file_threshold_sec: 2, tombstone_ttl_sec: 3600 }],
    api_keys: [
      { key: ingestKey, role: 'ingest', views: ['soak'] },
      { key: adminKey, role: 'admin' },
    ],
  });
  const d = new Daemon('fusion', FUSION_BIN, home, join(root, 'logs', 'fusion.log'));
  return Object.assign(d, { url: `http://127.0.0.1:${port}`, ingestKey, adminKey });
}

/** An agent watching `data` into view `soak`; its home may live on its own (small) file system. */
export async function makeAgent(root, name, fusion, data, home) {
  mkdirSync(home, { recursive: true });
  const consolePort = await freePort();
  writeJsonYaml(home, 'agent-config.yaml', {
    agent_id: name,
    console: { host: '127.0.0.1', port: consolePort },
    spool: { max_mb: 4 },
    sources: [{ id: 'src', type: 'fs', config: { uri: data, driver_params: { file_pattern: '*', write_settle_ms: 200, realtime: true } } }],
    senders: [{ id: 'to', type: 'fusion', config: { endpoint: fusion.url, credential: fusion.ingestKey, view: 'soak' } }],
    pipes: [{ id: 'p', source_id: 'src', sender_id: 'to', enabled: true, audit_interval_sec: 5, sentinel_interval_sec: 5, session_timeout_sec: 3 }],
  });
  const d = new Daemon(name, AGENT_BIN, home, join(root, 'logs', `${name}.log`));
  return Object.assign(d, { consoleUrl: `http://127.0.0.1:${consolePort}`, spoolDir: join(home, 'agent-state', 'p', 'spool') });
}

export async function fusionReady(fusion, ms = 30_000) {
  return until(async () => (await fetch(`${fusion.url}/readyz`, { signal: AbortSignal.timeout(2000) })).status === 200, ms);
}

export async function agentUp(agent, ms = 30_000) {
  return until(async () => (await fetch(`${agent.consoleUrl}/api/status`, { signal: AbortSignal.timeout(2000) })).status === 200, ms);
}
