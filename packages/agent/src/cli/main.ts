// fustor-agent command line: start [-D] / stop / status / reload / validate.

import { Command, CommanderError } from 'commander';
import { ConfigError, DaemonError } from '../errors.js';
import { CliExit, reloadCommand, statusCommand, stopCommand, validateCommand } from './control.js';
import { startCommand } from './start.js';
import type { LaunchHooks } from './warm-up.js';

const out = (l: string) => process.stdout.write(l + '\n');
const err = (l: string) => process.stderr.write(l + '\n');

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliExit('--console-port must be an integer from 0 to 65535 (0 = any free port)', 2);
  return n;
}

export function buildProgram(argv: readonly string[], hooks: LaunchHooks = {}): Command {
  const program = new Command('fustor-agent')
    .description('Fustor agent: watches directories and streams their metadata to Fusion')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const homeOpt = (c: Command) =>
    c.option('--home <dir>', 'FUSTOR_HOME (default: $FUSTOR_HOME or ~/.fustor)').option('--config <file>', 'config file (default: <home>/agent-config.yaml)');

  homeOpt(program.command('start').description('run the agent (foreground; -D to detach)'))
    .option('-D, --daemon', 'detach; return once the console listens')
    .option('--console-port <port>', 'console port (overrides console.port; 0 = any free port)', parsePort)
    .action((o) => startCommand(o, argv, out, hooks));
  homeOpt(program.command('stop').description('stop the daemon gracefully (flush, spool the rest, close sessions)')).action((o) => stopCommand(o, out));
  homeOpt(program.command('status').description('print pid, uptime and per-pipe state; exit 0 running, 3 not running')).action(async (o) => {
    process.exitCode = await statusCommand(o, out);
  });
  homeOpt(program.command('reload').description('validate agent-config.yaml, then apply it to the running daemon (SIGHUP)')).action((o) => reloadCommand(o, out));
  homeOpt(program.command('validate').description('check agent-config.yaml and exit')).action((o) => validateCommand(o, out));
  return program;
}

/** The CLI; `hooks` come from the launcher (bin/fustor-agent.js). */
export async function main(argv: readonly string[] = process.argv, hooks: LaunchHooks = {}): Promise<void> {
  const program = buildProgram(argv, hooks);
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof ConfigError) {
      err(`invalid configuration: ${e.message}`);
      process.exitCode = 1;
      return;
    }
    if (e instanceof CliExit) {
      err(e.message);
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof DaemonError) {
      err(e.message);
      process.exitCode = 1;
      return;
    }
    err(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  }
}
