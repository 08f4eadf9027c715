// Child-process harness: spawns the built CLIs with their output in a log file, stops them, never leaks them.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

const LIVE = new Set<ChildProcess>();
let exitHookInstalled = false;

// A test runner that dies (or a test that throws before its finally) must not leave daemons behind.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of LIVE) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export interface SpawnOptions {
  /** Label used in messages ("fusion", "agent-a"). */
  name: string;
  /** Executable script run with this Node (a CLI bin or an .mjs script). */
  script: string;
  args: string[];
  /** stdout and stderr are appended to this file. */
  logFile: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One long-running child (a daemon in the foreground). */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<ExitInfo>;
  #exit: ExitInfo | null = null;

  constructor(opts: SpawnOptions) {
    installExitHook();
    this.name = opts.name;
    this.logFile = opts.logFile;
    const fd = openSync(opts.logFile, 'a');
    try {
      this.#child = spawn(process.execPath, [opts.script, ...opts.args], {
        cwd: opts.cwd,
        env: { ...process.env, ...opts.env },
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    LIVE.add(this.#child);
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        LIVE.delete(this.#child);
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
      this.#child.once('error', () => {
        LIVE.delete(this.#child);
        this.#exit = { code: null, signal: null };
        resolve(this.#exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Null while running. */
  get exitInfo(): ExitInfo | null {
    return this.#exit;
  }

  get running(): boolean {
    return this.#exit === null;
  }

  exited(): Promise<ExitInfo> {
    return this.#exited;
  }

  /** Sends a signal without waiting (SIGHUP for reload). */
  signal(sig: NodeJS.Signals): void {
    if (this.running) this.#child.kill(sig);
  }

  /** kill -9 and wait until the kernel reaped it. */
  async kill9(): Promise<ExitInfo> {
    if (this.running) this.#child.kill('SIGKILL');
    return this.#exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with how it ended. */
  async stop(graceMs = 10_000): Promise<ExitInfo & { forced: boolean }> {
    if (!this.running) return { ...(this.#exit as ExitInfo), forced: false };
    this.#child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), graceMs);
    });
    const first = await Promise.race([this.#exited, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return { ...first, forced: false };
    this.#child.kill('SIGKILL');
    return { ...(await this.#exited), forced: true };
  }

  /** The last `lines` lines of the log (for failure messages). */
  tail(lines = 60): string {
    return tailOf(this.logFile, lines);
  }
}

export function tailOf(file: string, lines = 60): string {
  if (!existsSync(file)) return '(no log file)';
  const text = readFileSync(file, 'utf8');
  const all = text.split('\n');
  return all.slice(Math.max(0, all.length - lines - 1)).join('\n');
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a short CLI command (validate, reload, keys create, status) to completion with a time limit. */
export function runToCompletion(
  script: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  installExitHook();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    LIVE.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      LIVE.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
