// `fustor-fusion start [-D]`: foreground (logs to stderr) or detached daemon (logs to file, returns once listening).

import { createLogger, detach, isDaemonChild, notifyFailed, notifyReady, onShutdownSignal, pidFileState, removePidFile, writePidFile, type Logger } from '@fustor/protocol';
import { loadConfig, resolveHome } from '../config/load.js';
import { CliError } from '../errors.js';
import { FusionServer } from '../server/fusion-server.js';
import { loadOpenViewStore } from './open-store.js';
import { homeFiles, removePortFile, writePortFile } from './paths.js';

export interface StartOptions {
  daemon?: boolean;
  home?: string;
  config?: string;
  port?: number;
}

const NAME = 'fustor-fusion';

export async function startCommand(opts: StartOptions, argv: readonly string[], out: (line: string) => void): Promise<void> {
  const files = homeFiles(resolveHome({ home: opts.home }));
  const st = pidFileState(files.pid);
  if (st.state === 'running') throw new CliError(`${NAME} is already running (pid ${st.pid}, pid file ${files.pid}); stop it first with \`${NAME} stop\``);
  // a broken file is reported here, before anything is spawned
  loadConfig({ home: opts.home, config: opts.config });
  if (opts.daemon) {
    const args = [argv[1]!, ...argv.slice(2).filter((a) => a !== '-D' && a !== '--daemon')];
    let result;
    try {
      result = await detach({ name: NAME, args });
    } catch (err) {
      throw new CliError(`${NAME} failed to start: ${(err as Error).message}`);
    }
    out(`${NAME} started (pid ${result.pid}), listening on ${String(result.info.url)}; log: ${files.log}`);
    return;
  }
  await runForeground(opts);
}

/** The daemon body: both `start` and the detached child run this. */
async function runForeground(opts: StartOptions): Promise<void> {
  const child = isDaemonChild();
  let log: Logger | null = null;
  let server: FusionServer | null = null;
  let files;
  try {
    const config = loadConfig({ home: opts.home, config: opts.config });
    files = homeFiles(config.home);
    log = child
      ? createLogger({ level: config.logging.level, file: files.log, maxBytes: config.logging.max_file_mb * 1024 * 1024, maxFiles: config.logging.max_files })
      : createLogger({ level: config.logging.level });
    const stale = writePidFile(files.pid, NAME);
    if (stale !== null) log.warn('replaced a stale pid file', { stale_pid: stale });
    server = new FusionServer({ config, openStore: await loadOpenViewStore(), log, port: opts.port });
    await server.start();
    writePortFile(files.port, server.port);
  } catch (err) {
    const msg = (err as Error).message;
    log?.error('fusion failed to start', { error: msg });
    if (files && server === null) {
      // only our own pid file is removed; a live daemon's is left alone
      removePidFile(files.pid);
    }
    await server?.stop().catch(() => undefined);
    if (files) removePidFile(files.pid);
    if (child) {
      await notifyFailed(msg);
      process.exit(1);
    }
    throw err instanceof CliError ? err : new CliError(msg);
  }
  const srv = server;
  const f = files;
  const logger = log;
  process.on('SIGHUP', () => {
    try {
      srv.reload(loadConfig({ home: opts.home, config: opts.config }));
    } catch (err) {
      logger.error('reload rejected; keeping the running configuration', { error: (err as Error).message });
    }
  });
  onShutdownSignal(async (signal) => {
    logger.info('shutting down', { signal });
    await srv.stop();
    removePortFile(f.port);
    removePidFile(f.pid);
    logger.close();
    process.exit(0);
  });
  // Fusion never exits on a bad request: a stray error is logged and the server carries on
  process.on('uncaughtException', (err) => logger.error('uncaught exception', { error: err }));
  process.on('unhandledRejection', (err) => logger.error('unhandled rejection', { error: err instanceof Error ? err : String(err) }));
  notifyReady({ pid: process.pid, port: srv.port, url: srv.url });
  if (!child) process.stderr.write(`${NAME} listening on ${srv.url} (pid ${process.pid}, home ${f.home})\n`);
}
