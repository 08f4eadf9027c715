// `stop`, `status`, `reload`, `validate`: talk to a running daemon through its pid file, port file and /metrics.

import { daemonStatus, reloadDaemon, stopDaemon, STATUS_NOT_RUNNING } from '@fustor/protocol';
import { loadConfig, resolveHome } from '../config/load.js';
import { CliError } from '../errors.js';
import { homeFiles, readPortFile } from './paths.js';

const NAME = 'fustor-fusion';

export interface HomeOptions {
  home?: string;
  config?: string;
}

export async function stopCommand(opts: HomeOptions, out: (l: string) => void): Promise<void> {
  const files = homeFiles(resolveHome(opts));
  const r = await stopDaemon(files.pid, 30_000);
  if (r.state === 'not-running') out(`${NAME} is not running`);
  else if (r.state === 'stopped') out(`${NAME} stopped (pid ${r.pid}, after ${r.waitedMs} ms)`);
  else throw new CliError(`${NAME} (pid ${r.pid}) did not stop within ${r.waitedMs} ms; it may still be draining requests`);
}

export function validateCommand(opts: HomeOptions, out: (l: string) => void): void {
  const c = loadConfig(opts);
  out(`${c.file ?? 'no fusion-config.yaml (embedded defaults)'}: OK — ${c.views.length} view(s) [${c.views.map((v) => v.id).join(', ')}], ${c.api_keys.length} key(s) in file, listen ${c.server.host}:${c.server.port}`);
}

export function reloadCommand(opts: HomeOptions, out: (l: string) => void): void {
  const files = homeFiles(resolveHome(opts));
  const r = reloadDaemon(files.pid, () => void loadConfig(opts));
  if (!r) throw new CliError(`${NAME} is not running; nothing to reload`, STATUS_NOT_RUNNING);
  out(`configuration is valid; sent SIGHUP to ${NAME} (pid ${r.pid})`);
}

function fmtUptime(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = Math.floor(sec % 60);
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m ${s}s` : `${m}m ${s}s`;
}

/** Per-view state read from the unauthenticated /metrics, so `status` needs no key. */
function viewLines(metrics: string): { uptimeSec: number | null; lines: string[] } {
  const views = new Map<string, Record<string, number>>();
  let started: number | null = null;
  for (const line of metrics.split('\n')) {
    if (line.startsWith('process_start_time_seconds ')) started = Number(line.split(' ')[1]);
    const m = /^fustor_(view_files|view_dirs|view_suspects|view_blind_spots|view_has_leader|sessions)\{view="([^"]*)"(?:,role="(\w+)")?\} (\S+)$/.exec(line);
    if (!m) continue;
    const rec = views.get(m[2]!) ?? {};
    rec[m[3] ? `${m[1]}_${m[3]}` : m[1]!] = Number(m[4]);
    views.set(m[2]!, rec);
  }
  const owners = new Map<string, string>();
  let alive: number | null = null;
  for (const line of metrics.split('\n')) {
    const o = /^fustor_cluster_view_owner\{view="([^"]*)",owner="([^"]*)"\} 1$/.exec(line);
    if (o) owners.set(o[1]!, o[2] || '(none: failing over)');
    if (line.startsWith('fustor_cluster_nodes_alive ')) alive = Number(line.split(' ')[1]);
  }
  const lines = [...views].map(([id, r]) => {
    const leader = r.view_has_leader ? 'has leader' : 'NO leader';
    return `  view ${id}: ${r.view_files ?? 0} files, ${r.view_dirs ?? 0} dirs, ${leader}, sessions ${(r.sessions_leader ?? 0) + (r.sessions_follower ?? 0)}, suspects ${r.view_suspects ?? 0}, blind spots ${r.view_blind_spots ?? 0}`;
  });
  if (alive !== null) {
    // A cluster node: which node owns every view (this one serves those listed above).
    lines.push(`  cluster: ${alive} node(s) alive`);
    for (const [view, owner] of owners) lines.push(`  view ${view}: owner ${owner}`);
  }
  return { uptimeSec: started === null ? null : Date.now() / 1000 - started, lines };
}

/** Exit code 0 when running, 3 when not (LSB). */
export async function statusCommand(opts: HomeOptions, out: (l: string) => void): Promise<number> {
  const home = resolveHome(opts);
  const files = homeFiles(home);
  const st = daemonStatus(files.pid);
  if (!st.running) {
    out(st.stalePid ? `${NAME} is not running (stale pid file for pid ${st.stalePid})` : `${NAME} is not running`);
    return st.exitCode;
  }
  const port = readPortFile(files.port);
  let host = '127.0.0.1';
  try {
    const h = loadConfig(opts).server.host;
    if (h !== '0.0.0.0' && h !== '::') host = h.includes(':') ? `[${h}]` : h;
  } catch {
    // a broken config file does not stop status from reporting the running daemon
  }
  const url = port ? `http://${host}:${port}` : null;
  let detail: { uptimeSec: number | null; lines: string[] } = { uptimeSec: null, lines: [] };
  if (url) {
    try {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3000) });
      detail = viewLines(await res.text());
    } catch (err) {
      detail.lines.push(`  (metrics unavailable at ${url}: ${(err as Error).message})`);
    }
  }
  const uptime = detail.uptimeSec === null ? '' : `, uptime ${fmtUptime(detail.uptimeSec)}`;
  out(`${NAME} is running (pid ${st.pid}${uptime}${url ? `, ${url}` : ''})`);
  for (const l of detail.lines) out(l);
  return st.exitCode;
}
