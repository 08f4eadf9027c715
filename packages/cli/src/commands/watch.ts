// `fustor watch [PATH]`: follows the change feed; one line per change on stdout (JSON lines with --json),
// connection news on stderr, so stdout stays pure data for pipes.

import type { ChangeEntry } from '@fustor/protocol';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { FeedFollower } from '../feed.js';
import { formatDuration, formatSize, viewPath } from '../format.js';

export interface WatchOptions {
  since?: string;
  ops?: string;
  pattern?: string;
}

export function opWord(e: ChangeEntry): string {
  if (e.op === 'upsert') return e.created ? 'created' : 'modified';
  return e.op === 'delete' ? 'deleted' : e.op;
}

function line(e: ChangeEntry): string {
  const t = new Date(e.at_ms);
  const hms = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}:${String(t.getSeconds()).padStart(2, '0')}`;
  const size = e.is_dir || e.op === 'reset' ? '' : `  ${formatSize(e.size)}`;
  return `${hms}  ${opWord(e).padEnd(8)}  ${e.path}${e.is_dir && e.path !== '/' ? '/' : ''}${size}${e.owner ? `  ${e.owner}` : ''}`;
}

export async function watchCommand(ctx: CommandContext, pathArg: string | undefined, o: WatchOptions): Promise<void> {
  let since: number | undefined;
  if (o.since !== undefined) {
    if (!/^\d{1,15}$/.test(o.since)) throw new CliError(`--since: '${o.since}' is not a cursor`, EXIT.USAGE, 'pass a cursor printed by an earlier watch (the id of a change)');
    since = Number(o.since);
  }
  const view = await ctx.view();
  const path = viewPath(pathArg);
  const follower = new FeedFollower(ctx, view, { path, ops: o.ops, pattern: o.pattern, since });
  for await (const ev of follower.follow(ctx.signal)) {
    switch (ev.type) {
      case 'change':
      case 'reset':
        ctx.out(ctx.json ? JSON.stringify(ev.entry) : line(ev.entry));
        if (ev.type === 'reset' && !ctx.json) ctx.err(`note: view '${view}' was reset; its tree is being rebuilt`);
        break;
      case 'connected':
        ctx.err(ev.resumed ? `reconnected; resuming after cursor ${ev.since}` : `following view '${view}' below ${path} after cursor ${ev.since} (Ctrl-C to stop)`);
        break;
      case 'disconnected':
        ctx.err(`connection lost (${ev.error}); retrying in ${formatDuration(ev.retryInMs)}`);
        break;
      case 'lagged':
        ctx.err(`fell behind the feed; catching up by polling from cursor ${ev.cursor}`);
        break;
      case 'gap':
        ctx.err(`warning: entries after cursor ${ev.from} up to ${ev.to} were dropped by the feed's retention; re-read the tree (fustor ls/tree) to be sure`);
        break;
    }
  }
}
