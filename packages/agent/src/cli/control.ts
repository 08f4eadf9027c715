// `stop`, `status`, `reload`, `validate`: talk to a running agent through its pid file and console.

import { daemonStatus, reloadDaemon, stopDaemon, STATUS_NOT_RUNNING } from '@fustor/protocol';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentStatus } from '../agent.js';
import { loadConfig, resolveHome } from '../config/load.js';
import { DaemonError } from '../errors.js';
import { agentFiles, readPortFile } from './paths.js';

const NAME = 'fustor-agent';

export interface HomeOptions {
  home?: string;
  config?: string;
}

export class CliExit extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

export async function stopCommand(opts: HomeOptions, out: (l: string) => void): Promise<void> {
  const files = agentFiles(resolveHome(opts));
  const r = await stopDaemon(files.pid, 60_000);
  if (r.state === 'not-running') out(`${NAME} is not running`);
  else if (r.state === 'stopped') out(`${NAME} stopped (pid ${r.pid}, after ${r.waitedMs} ms)`);
  else throw new DaemonError('E_RUNNING', `${NAME} (pid ${r.pid}) did not stop within ${r.waitedMs} ms; it may still be flushing`);
}

export function validateCommand(opts: HomeOptions, out: (l: string) => void): void {
  const c = loadConfig(opts);
  const enabled = c.pipes.filter((p) => p.enabled).length;
  out(`${c.file}: OK — agent ${c.agent_id}, ${c.sources.length} source(s), ${c.senders.length} sender(s), ${c.pipes.length} pipe(s) (${enabled} enabled), console ${c.console.enabled ? `${c.console.host}:${c.console.port}` : 'disabled'}`);
}

async function fetchStatus(opts: HomeOptions): Promise<AgentStatus | null> {
  const files = agentFiles(resolveHome(opts));
  const port = readPortFile(files.port);
  if (!port) return null;
  let host = '127.0.0.1';
  try {
    const h = loadConfig({ ...opts, checkDirs: false }).console.host;
    if (h !== '0.0.0.0' && h !== '::') host = h.includes(':') ? `[${h}]` : h;
  } catch {
    // a broken config does not stop status from reaching the running daemon
  }
  try {
    const res = await fetch(`http://${host}:${port}/api/status`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { data: AgentStatus };
    return body.data;
  } catch {
    return null;
  }
}

export async function reloadCommand(opts: HomeOptions, out: (l: string) => void): Promise<void> {
  const files = agentFiles(resolveHome(opts));
  const before = await fetchStatus(opts);
  const r = reloadDaemon(files.pid, () => void loadConfig(opts));
  if (!r) throw new CliExit(`${NAME} is not running; nothing to reload`, STATUS_NOT_RUNNING);
  out(`configuration is valid; sent SIGHUP to ${NAME} (pid ${r.pid})`);
  if (!before) return;
  // Wait (bounded) for the daemon to report the reload so scripts know it was applied.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    await sleep(100);
    const now = await fetchStatus(opts);
    if (!now || now.reload.generation === before.reload.generation) continue;
    if (now.reload.error) throw new CliExit(`reload rejected by the daemon: ${now.reload.error}`, 1);
    const x = now.reload.result!;
    out(`applied: added [${x.added.join(', ')}], removed [${x.removed.join(', ')}], restarted [${x.restarted.join(', ')}], unchanged [${x.unchanged.join(', ')}]`);
    return;
  }
  out('the daemon has not reported the reload yet; check `fustor-agent status`');
}

function fmtUptime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  return h > 0 ? `${h}h ${m}m ${sec % 60}s` : `${m}m ${sec % 60}s`;
}

/** Exit code 0 when running, 3 when not (LSB). */
export async function statusCommand(opts: HomeOptions, out: (l: string) => void): Promise<number> {
  const files = agentFiles(resolveHome(opts));
  const st = daemonStatus(files.pid);
  if (!st.running) {
    out(st.stalePid ? `${NAME} is not running (stale pid file for pid ${st.stalePid})` : `${NAME} is not running`);
    return st.exitCode;
  }
  const s = await fetchStatus(opts);
  if (!s) {
    out(`${NAME} is running (pid ${st.pid}); console not reachable, no per-pipe detail`);
    return st.exitCode;
  }
  out(`${NAME} is running (pid ${st.pid}, agent ${s.agent_id}, up ${fmtUptime(s.uptime_ms)})`);
  for (const p of s.pipes) {
    const sent = Object.entries(p.events_sent).map(([k, v]) => `${k} ${v}`).join(', ');
    out(`  pipe ${p.id}: ${p.state}${p.role ? ` (${p.role})` : ''}, session ${p.session_id ?? '-'}, phase ${p.phase}${p.progress ? ` ${p.progress.percent}%` : ''}, sent ${sent}, spool ${p.spool.events} events${p.spool.dropped_events ? ` (${p.spool.dropped_events} dropped${p.spool.writable ? '' : ', writes failing'})` : ''}${p.resnapshot_pending ? ', re-snapshot pending' : ''}, errors ${p.errors_total}`);
  }
  if (s.pipes.length === 0) out('  no enabled pipes');
  return st.exitCode;
}
