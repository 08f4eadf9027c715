// fustor: the query CLI (consumers.md §7). Human output by default, --json for scripts; exit codes in errors.ts.

import { Command, CommanderError } from 'commander';
import { CommandContext } from './context.js';
import { CliError, EXIT } from './errors.js';
import { FusionHttp } from './http.js';
import { resolveSettings, type GlobalOptions } from './settings.js';

type Action = (ctx: CommandContext, ...args: any[]) => Promise<number | void>;

const HELP_AFTER = `
Endpoint and key: --url/--key/--view, else FUSTOR_URL/FUSTOR_KEY/FUSTOR_VIEW, else $FUSTOR_HOME/client.yaml
(url:, key:, view:; FUSTOR_HOME defaults to ~/.fustor). Without a view, the only view the key may read.
Output is for people unless --json is given (also when piped: use --json in scripts).
Marks: ! possibly still being written (suspect), ? blind spot (a change no agent saw).
Exit codes: 0 ok, 1 wait-stable timed out, 2 usage, 3 not found, 4 auth, 5 unreachable, 6 server error.`;

/** Runs one command with its settings, HTTP client and Ctrl-C handling; returns the exit code. */
async function run(cmd: Command, action: Action, args: unknown[]): Promise<number> {
  const settings = resolveSettings(cmd.optsWithGlobals<GlobalOptions>());
  const http = new FusionHttp(settings.url, settings.key);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  try {
    const code = await action(new CommandContext(http, settings, abort.signal), ...args);
    return abort.signal.aborted ? 130 : (code ?? EXIT.OK);
  } catch (err) {
    if (abort.signal.aborted) return 130;
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await http.close();
  }
}

function common(c: Command): Command {
  return c
    .option('--url <url>', 'Fusion URL (default: FUSTOR_URL, client.yaml, http://127.0.0.1:8102)')
    .option('--key <key>', 'API key with role read (default: FUSTOR_KEY, client.yaml)')
    .option('--view <view>', 'view (default: FUSTOR_VIEW, client.yaml, or the only view the key reads)')
    .option('--json', 'machine-readable output');
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = common(new Command('fustor'))
    .description('Query a Fusion server: what is on the shared tree, how big, whose, and is it finished?')
    .addHelpText('after', HELP_AFTER)
    .exitOverride()
    .showHelpAfterError('(fustor --help lists the commands)');
  const add = (name: string, describe: string, action: Action) => {
    const c = common(program.command(name).description(describe)).exitOverride();
    // commander calls back with (...positional, options, command): hand the command (...positional, options)
    c.action(async (...args: unknown[]) => setExit(await run(c, action, args.slice(0, -1))));
    return c;
  };
  add('views', 'list the views with leader, sessions, freshness and counts', async (ctx) => (await import('./commands/views.js')).viewsCommand(ctx));
  add('ls', 'list a directory', async (ctx, path, o) => (await import('./commands/ls.js')).lsCommand(ctx, path, o))
    .argument('[path]', 'view path', '/')
    .option('-l, --long', 'mode, owner, group, size, modified, marks')
    .option('--sort <key>', 'name | size | mtime (size and mtime: largest/newest first)', 'name');
  add('tree', 'draw a subtree', async (ctx, path, o) => (await import('./commands/tree.js')).treeCommand(ctx, path, o))
    .argument('<path>', 'view path')
    .option('--depth <n>', 'levels below PATH (1-10)', '2');
  add('stats', 'counts, size, newest mtime, suspects and the stable verdict', async (ctx, path) => (await import('./commands/stats.js')).statsCommand(ctx, path))
    .argument('<path>', 'view path');
  add('du', "a subtree's size, or who fills it", async (ctx, path, o) => (await import('./commands/du.js')).duCommand(ctx, path, o))
    .argument('<path>', 'view path')
    .option('--by <who>', 'owner | group');
  add('find', 'paths matching a glob (on base names, or whole paths when it holds a /)', async (ctx, pattern, o) => (await import('./commands/find.js')).findCommand(ctx, pattern, o))
    .argument('<pattern>', "glob, e.g. '*.fastq' (quote it)")
    .option('--path <path>', 'search below this path', '/')
    .option('--type <t>', 'f (files) | d (directories)')
    .option('--owner <name>', 'owner name')
    .option('--group <name>', 'group name')
    .option('--min-size <size>', 'at least this size, e.g. 1G')
    .option('--max-size <size>', 'at most this size')
    .option('--newer <duration>', 'modified within, e.g. 2d, 6h')
    .option('--older <duration>', 'modified before, e.g. 30d');
  add('top', 'the largest or newest files (or directories by subtree size)', async (ctx, path, o) => (await import('./commands/top.js')).topCommand(ctx, path, o))
    .argument('<path>', 'view path')
    .option('--by <key>', 'size | mtime', 'size')
    .option('--type <t>', 'f | d', 'f')
    .option('--oldest', 'smallest/oldest first instead')
    .option('-n <count>', 'how many (1-1000)', '20');
  add('watch', 'follow the change feed (resumes after a dropped connection)', async (ctx, path, o) => (await import('./commands/watch.js')).watchCommand(ctx, path, o))
    .argument('[path]', 'only changes below this path', '/')
    .option('--since <cursor>', 'start after this cursor instead of now')
    .option('--ops <ops>', 'comma-separated subset of upsert,delete,suspect,settled,reset')
    .option('--pattern <glob>', 'only paths matching this glob');
  add('wait-stable', 'wait until nothing below PATH is being written (exit 0), or --timeout passes (exit 1)', async (ctx, path, o) =>
    (await import('./commands/wait-stable.js')).waitStableCommand(ctx, path, o),
  )
    .argument('<path>', 'view path')
    .option('--timeout <duration>', 'give up after this long, e.g. 30m, 1h (default: wait forever)');
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  let exitCode: number = EXIT.OK;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.OK : EXIT.USAGE;
    } else if (err instanceof CliError) {
      process.stderr.write(`fustor: ${err.message}\n${err.hint ? `  ${err.hint}\n` : ''}`);
      exitCode = err.exitCode;
    } else {
      process.stderr.write(`fustor: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      exitCode = EXIT.SERVER;
    }
  }
  process.exitCode = exitCode;
}
