#!/usr/bin/env node
// `npm start`: runs Fusion and one agent on a local home with generated keys, in the foreground, until Ctrl-C.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, stringify } from 'yaml';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FUSION_BIN = join(REPO, 'packages/fusion/bin/fustor-fusion.js');
const AGENT_BIN = join(REPO, 'packages/agent/bin/fustor-agent.js');
const VIEW = 'local';
const READY_TIMEOUT_MS = 60_000;

const home = resolve(process.env.FUSTOR_HOME ?? '.fustor-local');
const logsDir = join(home, 'logs');
const fusionConfigFile = join(home, 'fusion-config.yaml');
const agentConfigFile = join(home, 'agent-config.yaml');

function fail(msg) {
  console.error(`fustor start: ${msg}`);
  process.exit(1);
}

function portFromEnv(name, dflt) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${name}=${raw} is not a port number (1-65535)`);
  return n;
}

/** Resolves true when nothing listens on host:port (we could bind it). */
function portFree(port, host = '127.0.0.1') {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, host, () => srv.close(() => res(true)));
  });
}

function anyFreePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** The wanted port, or a free one (with a notice) when it is taken. Only used when writing a new config. */
async function choosePort(wanted, what) {
  if (await portFree(wanted)) return wanted;
  const other = await anyFreePort();
  console.log(`note: port ${wanted} (${what}) is in use; using free port ${other} instead (saved in the config).`);
  return other;
}

function watchedDirFromArgs() {
  const arg = process.argv.slice(2).find((a) => a !== '--');
  if (arg === undefined) return null;
  const dir = resolve(arg);
  let st;
  try {
    st = statSync(dir);
  } catch {
    fail(`directory '${dir}' does not exist; create it or name an existing one (npm start -- <dir>)`);
  }
  if (!st.isDirectory()) fail(`'${dir}' is not a directory (npm start -- <dir> wants a directory to watch)`);
  return dir;
}

function createDemoDir(dir) {
  if (existsSync(dir)) return;
  const files = {
    'README.txt': 'Fustor demo directory: add, change or delete files here and watch Fusion follow.\n',
    'projects/alpha/run-001.csv': 'id,value\n1,0.5\n2,0.7\n',
    'projects/alpha/run-002.csv': 'id,value\n1,0.6\n',
    'projects/beta/notes.md': '# beta\nnothing yet\n',
    'raw/2024/sample.fastq': '@r1\nACGT\n+\nIIII\n',
    'raw/2025/.keep': '',
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

const key = (role) => `fk_${role}_${randomBytes(24).toString('hex')}`;

async function writeFreshConfigs(watchDir) {
  const fusionPort = await choosePort(portFromEnv('FUSTOR_FUSION_PORT', 8102), 'Fusion');
  const consolePort = await choosePort(portFromEnv('FUSTOR_CONSOLE_PORT', 8100), 'agent console');
  const ingestKey = key('ingest');
  const readKey = key('read');
  const adminKey = key('admin');
  const fusion = {
    server: { host: '127.0.0.1', port: fusionPort, max_body_mb: 10 },
    storage: { path: 'fusion.db' },
    session: { timeout_sec: 30 },
    views: [{ id: VIEW, hot_file_threshold_sec: 600, tombstone_ttl_sec: 3600 }],
    api_keys: [
      { name: 'local agent', key: ingestKey, role: 'ingest', views: [VIEW] },
      { name: 'local reader', key: readKey, role: 'read', views: [VIEW] },
      // Used by this script only, to reset the view when `npm start -- <dir>` names another directory.
      { name: 'local admin', key: adminKey, role: 'admin' },
    ],
  };
  const agent = {
    agent_id: 'local-agent',
    console: { host: '127.0.0.1', port: consolePort },
    sources: [{ id: 'local-files', type: 'fs', config: { uri: watchDir, driver_params: { file_pattern: '*', write_settle_ms: 1000 } } }],
    senders: [{ id: 'to-fusion', type: 'fusion', config: { endpoint: `http://127.0.0.1:${fusionPort}`, credential: ingestKey, view: VIEW } }],
    pipes: [{ id: 'local', source_id: 'local-files', sender_id: 'to-fusion', enabled: true, audit_interval_sec: 600, sentinel_interval_sec: 120, session_timeout_sec: 30 }],
  };
  const header = '# Written by `npm start` (scripts/start.mjs) on first run; edit freely, it is kept on later runs.\n';
  writeFileSync(fusionConfigFile, header + stringify(fusion), { mode: 0o600 });
  writeFileSync(agentConfigFile, header + stringify(agent), { mode: 0o600 });
}

function readYaml(file) {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length > 0) fail(`${file}: ${doc.errors[0].message.split('\n')[0]} (fix it or delete it to regenerate)`);
  return doc;
}

/** Points the existing agent config at another directory, keeping everything else (and comments). True when it changed. */
function retargetAgent(watchDir) {
  const doc = readYaml(agentConfigFile);
  const current = doc.getIn(['sources', 0, 'config', 'uri']);
  if (current === watchDir) return false;
  doc.setIn(['sources', 0, 'config', 'uri'], watchDir);
  writeFileSync(agentConfigFile, doc.toString(), { mode: 0o600 });
  console.log(`note: ${agentConfigFile}: sources[0].config.uri changed from ${current} to ${watchDir}`);
  return true;
}

/** Empties the view so entries of the previously watched directory do not linger until the next audit. */
async function resetView(s) {
  if (!s.adminKey) {
    console.log(`note: no admin key in ${fusionConfigFile}; entries of the previous directory stay in view '${s.view}' until the next audit removes them`);
    return;
  }
  const res = await fetch(`${s.fusionUrl}/api/v1/views/${encodeURIComponent(s.view)}/tree`, { method: 'DELETE', headers: { 'X-API-Key': s.adminKey } });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`resetting view '${s.view}' failed: ${res.status} ${body}`);
  console.log(`note: view '${s.view}' was reset for the new directory`);
}

function currentSettings() {
  const f = readYaml(fusionConfigFile).toJS() ?? {};
  const a = readYaml(agentConfigFile).toJS() ?? {};
  const fusionHost = f.server?.host ?? '127.0.0.1';
  const fusionPort = f.server?.port ?? 8102;
  const consoleHost = a.console?.host ?? '127.0.0.1';
  const consolePort = a.console?.port ?? 8100;
  const views = (f.views ?? []).map((v) => v.id);
  const view = a.senders?.[0]?.config?.view ?? views[0] ?? 'default';
  const reader = (f.api_keys ?? []).find((k) => k.key && (k.role === 'read' || k.role === 'admin'));
  const admin = (f.api_keys ?? []).find((k) => k.key && k.role === 'admin');
  const browse = (h) => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h);
  return {
    fusionUrl: `http://${browse(fusionHost)}:${fusionPort}`,
    fusionHost,
    fusionPort,
    consoleUrl: `http://${browse(consoleHost)}:${consolePort}`,
    consoleHost,
    consolePort,
    view,
    readKey: reader?.key ?? null,
    adminKey: admin?.key ?? null,
    watched: a.sources?.[0]?.config?.uri ?? '(see agent-config.yaml)',
  };
}

const children = [];

function launch(name, bin) {
  const logFile = join(logsDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  // Own process group: a terminal's Ctrl-C reaches only this script, which then stops the agent before
  // Fusion; a second signal straight from the terminal would make the daemons exit without flushing.
  const child = spawn(process.execPath, [bin, 'start', '--home', home], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, FUSTOR_HOME: home },
    detached: true,
  });
  closeSync(fd);
  const rec = { name, child, logFile, exited: null };
  rec.done = new Promise((res) => child.once('exit', (code, signal) => res((rec.exited = { code, signal }))));
  children.push(rec);
  return rec;
}

function tail(file, n = 25) {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-n).map((l) => `    ${l}`).join('\n');
  } catch {
    return '    (no log)';
  }
}

async function waitReady(rec, url, what) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (rec.exited) throw new Error(`${rec.name} exited (${JSON.stringify(rec.exited)}) before it was ready; its log ${rec.logFile}:\n${tail(rec.logFile)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} did not answer ${url} within ${READY_TIMEOUT_MS / 1000} s; see ${rec.logFile}:\n${tail(rec.logFile)}`);
}

// Last resort if this script dies unexpectedly: the daemons are not in our process group any more.
process.on('exit', () => {
  for (const rec of children) if (!rec.exited) rec.child.kill('SIGKILL');
});

let stopping = false;
async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  // The agent first, so it can flush and close its sessions while Fusion still answers.
  for (const rec of [...children].reverse()) {
    if (rec.exited) continue;
    rec.child.kill('SIGTERM');
    const forced = setTimeout(() => rec.child.kill('SIGKILL'), 15_000);
    await rec.done;
    clearTimeout(forced);
    console.log(`stopped ${rec.name}${rec.exited.code ? ` (exit ${rec.exited.code})` : ''}`);
  }
  process.exit(exitCode);
}

async function main() {
  for (const bin of [FUSION_BIN, AGENT_BIN]) {
    if (!existsSync(join(dirname(bin), '../dist/cli/main.js'))) fail(`${bin} is not built; run \`npm run build\` (npm start does it for you)`);
  }
  mkdirSync(logsDir, { recursive: true });
  const named = watchedDirFromArgs();
  const fresh = !existsSync(fusionConfigFile) || !existsSync(agentConfigFile);
  let retargeted = false;
  if (fresh) {
    const watchDir = named ?? join(home, 'demo');
    if (!named) createDemoDir(watchDir);
    await writeFreshConfigs(watchDir);
    console.log(`created ${fusionConfigFile} and ${agentConfigFile} with new API keys`);
  } else if (named) {
    retargeted = retargetAgent(named);
  } else {
    const cfg = currentSettings();
    if (cfg.watched === join(home, 'demo')) createDemoDir(cfg.watched);
  }

  const s = currentSettings();
  for (const [port, host, what, file] of [
    [s.fusionPort, s.fusionHost, 'Fusion', fusionConfigFile],
    [s.consolePort, s.consoleHost, 'the agent console', agentConfigFile],
  ]) {
    if (!(await portFree(port, host))) {
      fail(`port ${port} (${what}) is already in use — is another \`npm start\` or Fustor running? Stop it, or change the port in ${file}.`);
    }
  }

  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void stopAll(0));

  const fusion = launch('fusion', FUSION_BIN);
  await waitReady(fusion, `${s.fusionUrl}/readyz`, 'Fusion');
  if (retargeted) await resetView(s);
  const agent = launch('agent', AGENT_BIN);
  await waitReady(agent, `${s.consoleUrl}/api/status`, 'the agent console');

  for (const rec of children) {
    rec.done.then(() => {
      if (stopping) return;
      console.error(`\n${rec.name} stopped unexpectedly (${JSON.stringify(rec.exited)}); last lines of ${rec.logFile}:\n${tail(rec.logFile)}`);
      void stopAll(1);
    });
  }

  const keyShown = s.readKey ?? '<a read key: fustor-fusion keys create --role read --views ' + s.view + ' --home ' + home + '>';
  const curl = `curl -s -H 'X-API-Key: ${keyShown}' '${s.fusionUrl}/api/v1/views/${s.view}/tree?path=/&depth=2'`;
  const fustor = `FUSTOR_URL=${s.fusionUrl} FUSTOR_KEY=${keyShown} npx fustor ls -l /`;
  console.log(
    [
      '',
      'Fustor is running.',
      `  Fusion:         ${s.fusionUrl}`,
      `  Web page:       ${s.fusionUrl}/  (open it and paste the read key below)`,
      `  Agent console:  ${s.consoleUrl}`,
      `  Watching:       ${s.watched}  (view '${s.view}')`,
      `  API key (read): ${keyShown}`,
      `  Home:           ${home}  (logs in ${logsDir})`,
      '',
      'Query the tree:',
      `  ${fustor}`,
      `  ${curl}`,
      '',
      'Press Ctrl-C to stop both.',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error(`fustor start: ${err instanceof Error ? err.message : err}`);
  void stopAll(1);
  if (children.length === 0) process.exit(1);
});
