#!/usr/bin/env node
// `npm run demo:cluster`: a throw-away PostgreSQL, three Fusion nodes on it and one agent that knows all three, until Ctrl-C.
//
// Needs Debian's postgresql package (apt-get install -y postgresql); as root the database server runs as `postgres`.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FUSION_BIN = join(REPO, 'packages/fusion/bin/fustor-fusion.js');
const AGENT_BIN = join(REPO, 'packages/agent/bin/fustor-agent.js');
const NODES = ['fusion-a', 'fusion-b', 'fusion-c'];
const LEASE_SEC = 5;

const { PgCluster } = await import(join(REPO, 'packages/test-helpers/dist/index.js')).catch(() => {
  console.error('cluster demo: build first (npm run build)');
  process.exit(1);
});

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

const work = mkdtempSync(join(tmpdir(), 'fustor-cluster-demo-'));
const data = join(work, 'data');
mkdirSync(join(data, 'incoming'), { recursive: true });
writeFileSync(join(data, 'README.txt'), 'Files you create here appear in the view "demo" on every node.\n');

console.log('starting PostgreSQL (initdb in a temp dir) ...');
let pg;
try {
  pg = await PgCluster.start();
} catch (err) {
  console.error(`cluster demo: ${err.message}`);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
}

const keys = Object.fromEntries(['ingest', 'read', 'admin'].map((r) => [r, `fk_${r}_${randomBytes(16).toString('hex')}`]));
const children = [];
function launch(name, bin, home) {
  const fd = openSync(join(work, `${name}.log`), 'a');
  const child = spawn(process.execPath, [bin, 'start', '--home', home], { stdio: ['ignore', fd, fd], env: { ...process.env, FUSTOR_HOME: home } });
  closeSync(fd);
  children.push(child);
  return child;
}

const urls = [];
for (const id of NODES) {
  const home = join(work, id);
  mkdirSync(home, { recursive: true });
  const port = await freePort();
  urls.push(`http://127.0.0.1:${port}`);
  writeFileSync(
    join(home, 'fusion-config.yaml'),
    stringify({
      server: { host: '127.0.0.1', port },
      storage: { backend: 'postgres', url: pg.url },
      cluster: { node_id: id, advertise_url: `http://127.0.0.1:${port}`, lease_sec: LEASE_SEC },
      views: [{ id: 'demo', hot_file_threshold_sec: 10 }],
      api_keys: [
        { key: keys.ingest, role: 'ingest', views: ['demo'] },
        { key: keys.read, role: 'read' },
        { key: keys.admin, role: 'admin' },
      ],
    }),
  );
  launch(id, FUSION_BIN, home);
}

const agentHome = join(work, 'agent');
mkdirSync(agentHome, { recursive: true });
writeFileSync(
  join(agentHome, 'agent-config.yaml'),
  stringify({
    agent_id: 'demo-agent',
    console: { host: '127.0.0.1', port: await freePort() },
    sources: [{ id: 'demo-dir', type: 'fs', config: { uri: data } }],
    senders: [{ id: 'cluster', type: 'fusion', config: { endpoint: urls, credential: keys.ingest, view: 'demo' } }],
    pipes: [{ id: 'demo', source_id: 'demo-dir', sender_id: 'cluster', audit_interval_sec: 60 }],
  }),
);

async function ready(url) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not become ready; logs in ${work}`);
}
await Promise.all(urls.map(ready));
launch('agent', AGENT_BIN, agentHome);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping ...');
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r)))));
  pg.destroy();
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

console.log(`
Fustor cluster demo: PostgreSQL on ${pg.url}, three Fusion nodes, one agent watching
  ${data}

  nodes:   ${NODES.map((n, i) => `${n} ${urls[i]}`).join('\n           ')}
  keys:    read ${keys.read}
           admin ${keys.admin}
  logs:    ${work}/*.log

Try:
  curl -s -H "X-API-Key: ${keys.read}" ${urls[1]}/api/v1/cluster           # who owns the view "demo"
  echo hello > ${data}/incoming/hello.txt                                   # appears on every node
  curl -s -H "X-API-Key: ${keys.read}" "${urls[2]}/api/v1/views/demo/tree?path=/incoming"
  curl -s -X POST -H "X-API-Key: ${keys.admin}" -H 'Content-Type: application/json' \\
       -d '{"to":"fusion-c"}' ${urls[0]}/api/v1/admin/views/demo/move     # hand the view to fusion-c
  kill -9 <pid of the owner>   (see: ps ax | grep fustor-fusion)           # another node takes over within ${LEASE_SEC} s + a tick

The web page of any node: ${urls[0]}/ (paste the read key). Ctrl-C stops everything and removes the temp dir.
`);
