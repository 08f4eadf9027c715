// `fustor views`: the views the key may read, with leader, sessions, freshness and counts.

import type { CommandContext } from '../context.js';
import { formatDuration, formatSize, table } from '../format.js';

export async function viewsCommand(ctx: CommandContext): Promise<void> {
  const views = await ctx.views();
  if (ctx.json) return ctx.printJson(views);
  const rows = views.map((v) => [
    v.id,
    String(v.file_count),
    String(v.dir_count),
    formatSize(v.total_size),
    v.leader ? v.leader.agent_id : 'none',
    String(v.session_count),
    v.snapshot_complete ? 'complete' : 'partial',
    v.staleness_ms === null ? '-' : formatDuration(v.staleness_ms),
    String(v.suspect_count),
    v.has_blind_spot ? 'yes' : 'no',
  ]);
  for (const l of table(['VIEW', 'FILES', 'DIRS', 'SIZE', 'LEADER', 'SESSIONS', 'SNAPSHOT', 'STALENESS', 'SUSPECTS', 'BLIND SPOTS'], rows, ['left', 'right', 'right', 'right'])) ctx.out(l);
}
