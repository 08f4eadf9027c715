// `fustor-agent start [-D]`: foreground (logs to stderr) or detached daemon (logs to file, returns once the console listens).

import {
  createLogger, detach, isDaemonChild, notifyFailed, notifyReady, onShutdownSignal, pidFileState, removePidFile, writePidFile, type Logger,
} from '@fustor/protocol';
import { Agent } from '../agent.js';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import type { ConsoleServer } from '../console/server.js';
import { DaemonError } from '../errors.js';
import { agentFiles, removePortFile, writePortFile } from './paths.js';
import { afterStartUp, type LaunchHooks } from './warm-up.js';

export interface StartOptions {
  daemon?: boolean;
  home?: string;
  config?: string;
  consolePort?: number;
}

const NAME = 'fustor-agent';
/** How long a graceful stop may spend flushing realtime events before spooling the rest. */
const STOP_FLUSH_MS = 5000;

export async function startCommand(opts: StartOptions, argv: readonly string[], out: (l: string) => void, hooks: LaunchHooks = {}): Promise<void> {
  const config = loadConfig({ home: opts.home, config: opts.config });
  const files = agentFiles(config.home);
  if (opts.daemon) {
    const st = pidFileState(files.pid);
    if (st.state === 'running') throw new DaemonError('E_RUNNING', `${NAME} is already running (pid ${st.pid}); stop it first with \`${NAME} stop\``);
    const args = [argv[1]!, ...argv.slice(2).filter((a) => a !== '-D' && a !== '--daemon')];
    let result;
    try {
      result = await detach({ name: NAME, args });
    } catch (err) {
      throw new DaemonError('E_START_FAILED', `${NAME} failed to start: ${(err as Error).message}`);
    }
    out(`${NAME} started (pid ${result.pid}); console ${String(result.info.url ?? 'disabled')}; log: ${files.log}`);
    return;
  }
  await runForeground(opts, config, hooks);
}

function withConsolePort(c: ResolvedConfig, port: number | undefined): ResolvedConfig {
  return port === undefined ? c : Object.freeze({ ...c, console: Object.freeze({ ...c.console, port }) });
}

/** The daemon body, run by `start` in the foreground and by the detached child. */
async function runForeground(opts: StartOptions, first: ResolvedConfig, hooks: LaunchHooks): Promise<void> {
  const child = isDaemonChild();
  const config = withConsolePort(first, opts.consolePort);
  const files = agentFiles(config.home);
  const log: Logger = child
    ? createLogger({ level: config.logging.level, file: files.log, maxBytes: config.logging.max_file_mb * 1024 * 1024, maxFiles: config.logging.max_files })
    : createLogger({ level: config.logging.level });
  let agent: Agent | null = null;
  let consoleServer: ConsoleServer | null = null;
  let pidWritten = false;
  try {
    const stale = writePidFile(files.pid, NAME);
    pidWritten = true;
    if (stale !== null) log.warn('replaced a stale pid file', { stale_pid: stale });
    agent = new Agent(config, { log });
    // The pipes start first: nothing of the console (its module is loaded here) has to precede the
    // first batch, so the source's start and the session opening go on meanwhile (P3's start-up).
    agent.start();
    if (config.console.enabled) {
      const a = agent;
      const { ConsoleServer: Console } = await import('../console/server.js');
      consoleServer = new Console({ host: config.console.host, port: config.console.port, status: () => a.status() });
      await consoleServer.start();
      writePortFile(files.port, consoleServer.port);
      log.info('console listening', { url: consoleServer.url, port: consoleServer.port });
    }
  } catch (err) {
    const msg = (err as Error).message;
    log.error('agent failed to start', { error: msg });
    await consoleServer?.stop().catch(() => undefined);
    await agent?.stop(0).catch(() => undefined);
    if (pidWritten) removePidFile(files.pid);
    if (child) {
      await notifyFailed(msg);
      process.exit(1);
    }
    throw err;
  }
  const a = agent;
  const cons = consoleServer;
  const cancelWarm = hooks.warm ? afterStartUp(() => a.status(), hooks.warm) : () => undefined;
  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    reloading = reloading.then(async () => {
      let next: ResolvedConfig;
      try {
        next = withConsolePort(loadConfig({ home: opts.home, config: opts.config }), opts.consolePort);
      } catch (err) {
        a.reloadFailed((err as Error).message);
        return;
      }
      if (next.console.host !== a.config.console.host || next.console.port !== a.config.console.port) {
        log.warn('console host/port changes take effect at the next restart');
      }
      await a.reload(next).catch((err) => a.reloadFailed((err as Error).message));
    });
  });
  onShutdownSignal(async (signal) => {
    log.info('shutting down', { signal });
    cancelWarm();
    await reloading.catch(() => undefined);
    await a.stop(STOP_FLUSH_MS);
    await cons?.stop().catch(() => undefined);
    removePortFile(files.port);
    removePidFile(files.pid);
    log.info('stopped');
    log.close();
    process.exit(0);
  });
  // The agent never exits on a data-plane error: anything that escapes is logged and the pipes carry on.
  process.on('uncaughtException', (err) => log.error('uncaught exception', { error: err }));
  process.on('unhandledRejection', (err) => log.error('unhandled rejection', { error: err }));
  const url = cons?.url ?? null;
  notifyReady({ pid: process.pid, url, port: cons?.port ?? null });
  if (!child) process.stderr.write(`${NAME} running (pid ${process.pid}, home ${files.home})${url ? `; console ${url}` : ''}\n`);
}
