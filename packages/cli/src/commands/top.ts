// `fustor top PATH [--by size|mtime] [--type f|d] [-n 20]`: the largest or newest files, or directories by subtree size.

import type { TopAnswer } from '@fustor/protocol';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { formatSize, relativeTime, table, viewPath } from '../format.js';
import { marks } from './node-line.js';

export async function topCommand(ctx: CommandContext, pathArg: string, o: { by?: string; type?: string; n?: string; oldest?: boolean }): Promise<void> {
  const by = o.by ?? 'size';
  if (by !== 'size' && by !== 'mtime') throw new CliError(`--by: '${by}' is not size or mtime`, EXIT.USAGE);
  const type = o.type === undefined || o.type === 'f' || o.type === 'file' ? 'file' : o.type === 'd' || o.type === 'dir' ? 'dir' : null;
  if (!type) throw new CliError(`--type: '${o.type}' is not f or d`, EXIT.USAGE);
  const limit = o.n === undefined ? 20 : Number(o.n);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError(`-n: '${o.n}' must be an integer from 1 to 1000`, EXIT.USAGE);
  const a = await ctx.http.get<TopAnswer>(await ctx.viewPath('/top'), { path: viewPath(pathArg), by, type, limit, order: o.oldest ? 'asc' : 'desc' }, ctx.signal);
  if (ctx.json) return ctx.printJson(a.items);
  const now = Date.now();
  const rows = a.items.map((i) => {
    const size = type === 'dir' ? i.total_size ?? i.size : i.size;
    const when = type === 'dir' ? Math.max(i.mtime_ms ?? -Infinity, i.latest_mtime_ms ?? -Infinity) : i.mtime_ms;
    return [formatSize(size), relativeTime(Number.isFinite(when) ? when : null, now), i.owner ?? '-', ...(type === 'dir' ? [String(i.file_count ?? 0)] : []), `${i.path}${marks(i) ? `  ${marks(i)}` : ''}`];
  });
  const header = ['SIZE', by === 'mtime' || type === 'dir' ? 'NEWEST' : 'MODIFIED', 'OWNER', ...(type === 'dir' ? ['FILES'] : []), 'PATH'];
  for (const l of table(header, rows, ['right', 'left', 'left', 'right'])) ctx.out(l);
}
