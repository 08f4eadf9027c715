// `fustor du PATH [--by owner|group]`: the subtree's size, or who fills it (the usage report).

import type { UsageAnswer } from '@fustor/protocol';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { formatSize, relativeTime, table, viewPath } from '../format.js';
import { getStats } from './stats.js';

export async function duCommand(ctx: CommandContext, pathArg: string, o: { by?: string }): Promise<void> {
  const path = viewPath(pathArg);
  if (o.by === undefined) {
    const s = await getStats(ctx, path);
    if (ctx.json) return ctx.printJson({ path: s.path, total_size: s.total_size, file_count: s.file_count, dir_count: s.dir_count });
    ctx.out(`${formatSize(s.total_size)}\t${s.path}\t(${s.file_count} files, ${s.dir_count} directories)`);
    return;
  }
  if (o.by !== 'owner' && o.by !== 'group') throw new CliError(`--by: '${o.by}' is not owner or group`, EXIT.USAGE);
  const items: UsageAnswer['items'] = [];
  for (let page = 1; ; page++) {
    const a = await ctx.http.get<UsageAnswer>(await ctx.viewPath('/usage'), { path, by: o.by, page, page_size: 1000 }, ctx.signal);
    items.push(...a.items);
    if (page >= a.pages) break;
  }
  if (ctx.json) return ctx.printJson(items);
  const now = Date.now();
  const who = (i: UsageAnswer['items'][number]) => i.name ?? (o.by === 'owner' ? i.uid : i.gid)?.toString() ?? '(unknown)';
  const rows = items.map((i) => [formatSize(i.total_size), String(i.file_count), String(i.dir_count), relativeTime(i.latest_mtime_ms, now), who(i)]);
  for (const l of table(['SIZE', 'FILES', 'DIRS', 'NEWEST', o.by.toUpperCase()], rows, ['right', 'right', 'right'])) ctx.out(l);
}
