// Daemon plumbing shared by fustor-agent and fustor-fusion: detach with a ready handshake, stop, status, reload.

import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive, pidFileState, readPidFile } from './pid-file.js';

/** Environment marker telling a CLI process that it is the detached daemon child. */
export const DAEMON_CHILD_ENV = 'FUSTOR_DAEMON_CHILD';

export function isDaemonChild(): boolean {
  return process.env[DAEMON_CHILD_ENV] === '1' && typeof process.send === 'function';
}

type ReadyMessage = { fustor: 'ready'; info: Record<string, unknown> } | { fustor: 'failed'; error: string };

/** Called by the daemon child once it listens; the parent prints `info` and returns. */
export function notifyReady(info: Record<string, unknown>): void {
  if (!isDaemonChild()) return;
  process.send!({ fustor: 'ready', info } satisfies ReadyMessage, () => {
    // the IPC channel must not keep the daemon tied to the parent (or keep the parent waiting)
    try {
      process.disconnect();
    } catch {
      // already disconnected
    }
  });
}

/** Called by the daemon child when it cannot start; the parent prints `error` and exits non-zero. */
export function notifyFailed(error: string): Promise<void> {
  if (!isDaemonChild()) return Promise.resolve();
  return new Promise((resolve) => {
    process.send!({ fustor: 'failed', error } satisfies ReadyMessage, () => resolve());
  });
}

export interface DetachOptions {
  /** CLI name for messages, e.g. 'fustor-fusion'. */
  name: string;
  /** Script and arguments for the child (default: this process's script and argv, minus -D/--daemon). */
  args?: string[];
  /** Give up waiting for the ready message after this long (default 30 s). */
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface DetachResult {
  pid: number;
  info: Record<string, unknown>;
}

/** Strips the daemon flag so the child runs `start` in the foreground code path. */
export function childArgsWithoutDaemonFlag(argv: readonly string[]): string[] {
  return argv.slice(1).filter((a) => a !== '-D' && a !== '--daemon');
}

/**
 * Spawns a detached copy of this CLI (stdio closed, IPC channel for the handshake) and resolves
 * once it reports ready; rejects with the child's own explanation when it fails or exits early.
 */
export function detach(opts: DetachOptions): Promise<DetachResult> {
  const args = opts.args ?? childArgsWithoutDaemonFlag(process.argv);
  const child = spawn(process.execPath, [...process.execArgv, ...args], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...(opts.env ?? process.env), [DAEMON_CHILD_ENV]: '1' },
    cwd: opts.cwd,
  });
  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  return new Promise<DetachResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.removeAllListeners();
      try {
        if (child.connected) child.disconnect();
      } catch {
        // the child disconnected first
      }
      child.unref();
      fn();
    };
    const timer = setTimeout(() => {
      // a child that never became ready is ours to end, so no half-started daemon is left behind
      child.kill('SIGTERM');
      finish(() => reject(new Error(`${opts.name} did not report ready within ${timeoutMs} ms (pid ${child.pid}, now terminated); see its log file`)));
    }, timeoutMs);
    child.on('message', (m: ReadyMessage) => {
      if (m?.fustor === 'ready') finish(() => resolve({ pid: child.pid!, info: m.info }));
      else if (m?.fustor === 'failed') finish(() => reject(new Error(m.error)));
    });
    child.on('error', (err) => finish(() => reject(new Error(`${opts.name} could not be started: ${err.message}`))));
    child.on('exit', (code, signal) => {
      finish(() => reject(new Error(`${opts.name} exited before it was ready (${signal ?? `exit code ${code}`}); see its log file`)));
    });
  });
}

export interface StopResult {
  state: 'stopped' | 'not-running' | 'timeout';
  pid?: number;
  waitedMs?: number;
}

/** SIGTERM the pid in `pidFile` and wait (polling) until it exits or `timeoutMs` passes. */
export async function stopDaemon(pidFile: string, timeoutMs = 30_000): Promise<StopResult> {
  const st = pidFileState(pidFile);
  if (st.state !== 'running') return { state: 'not-running' };
  const started = Date.now();
  try {
    process.kill(st.pid, 'SIGTERM');
  } catch {
    return { state: 'not-running' };
  }
  const deadline = started + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(st.pid)) return { state: 'stopped', pid: st.pid, waitedMs: Date.now() - started };
    await sleep(50);
  }
  return { state: 'timeout', pid: st.pid, waitedMs: Date.now() - started };
}

/** LSB exit codes for `status`: 0 running, 3 not running. */
export const STATUS_RUNNING = 0;
export const STATUS_NOT_RUNNING = 3;

export interface DaemonStatus {
  running: boolean;
  pid: number | null;
  stalePid: number | null;
  exitCode: number;
}

export function daemonStatus(pidFile: string): DaemonStatus {
  const st = pidFileState(pidFile);
  if (st.state === 'running') return { running: true, pid: st.pid, stalePid: null, exitCode: STATUS_RUNNING };
  return { running: false, pid: null, stalePid: st.state === 'stale' ? st.pid : null, exitCode: STATUS_NOT_RUNNING };
}

/**
 * Reload: `validate` first (throws naming the problem when the file is broken, and then nothing
 * is signalled so the daemon keeps its running config), then SIGHUP the daemon.
 */
export function reloadDaemon(pidFile: string, validate: () => void): { pid: number } | null {
  validate();
  const pid = readPidFile(pidFile);
  if (pid === null || !isProcessAlive(pid)) return null;
  process.kill(pid, 'SIGHUP');
  return { pid };
}

/** Runs `fn` once on the first of SIGTERM/SIGINT; a second signal forces exit. */
export function onShutdownSignal(fn: (signal: NodeJS.Signals) => Promise<void> | void): () => void {
  let called = false;
  const handler = (signal: NodeJS.Signals) => {
    if (called) process.exit(130);
    called = true;
    void Promise.resolve(fn(signal));
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
