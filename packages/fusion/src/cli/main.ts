// fustor-fusion command line: start/stop/status/reload/validate and key management.

import { Command, CommanderError } from 'commander';
import { isDaemonChild, notifyFailed } from '@fustor/protocol';
import { CliError, ConfigError } from '../errors.js';

// Command modules are imported on use: `status` should not pay for loading express and SQLite.
const control = () => import('./control.js');
const keysMod = () => import('./keys.js');

const out = (l: string) => process.stdout.write(l + '\n');
const err = (l: string) => process.stderr.write(l + '\n');

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`--port must be an integer from 0 to 65535 (0 = any free port)`);
  return n;
}

export function buildProgram(argv: readonly string[]): Command {
  const program = new Command('fustor-fusion')
    .description('Fustor Fusion: ingest and query server for a shared file tree index')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const homeOpt = (c: Command) => c.option('--home <dir>', 'FUSTOR_HOME (default: $FUSTOR_HOME or ~/.fustor)').option('--config <file>', 'config file (default: <home>/fusion-config.yaml)');

  homeOpt(program.command('start').description('run the server (foreground; -D to detach)'))
    .option('-D, --daemon', 'detach; return once listening')
    .option('--port <port>', 'listen port (overrides server.port; 0 = any free port)', parsePort)
    .action(async (o) => (await import('./start.js')).startCommand(o, argv, out));
  homeOpt(program.command('stop').description('stop the daemon (SIGTERM, waits for a graceful shutdown)')).action(async (o) => (await control()).stopCommand(o, out));
  homeOpt(program.command('status').description('print pid, uptime and per-view state; exit 0 running, 3 not running')).action(async (o) => {
    process.exitCode = await (await control()).statusCommand(o, out);
  });
  homeOpt(program.command('reload').description('validate the config, then SIGHUP the daemon')).action(async (o) => (await control()).reloadCommand(o, out));
  homeOpt(program.command('validate').description('check fusion-config.yaml and exit')).action(async (o) => (await control()).validateCommand(o, out));

  const keys = program.command('keys').description('manage API keys stored in the database');
  homeOpt(keys.command('create').description('create a key and print it once'))
    .requiredOption('--role <role>', 'ingest | read | admin')
    .option('--views <list>', 'comma-separated view ids (default: all views)')
    .option('--name <name>', 'label shown in listings')
    .action(async (o) => (await keysMod()).keysCreate(o, out, err));
  homeOpt(keys.command('list').description('list created keys (no secrets)')).action(async (o) => (await keysMod()).keysList(o, out));
  homeOpt(keys.command('revoke <id>').description('revoke a created key')).action(async (id: string, o) => (await keysMod()).keysRevoke(id, o, out));
  return program;
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    // a detached child's stderr goes nowhere: hand the reason to the waiting parent instead
    if (isDaemonChild()) await notifyFailed(e instanceof Error ? e.message : String(e));
    if (e instanceof CliError) {
      err(e.message);
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof ConfigError) {
      err(e.message);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
