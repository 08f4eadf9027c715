// `fustor stats PATH`: counts, size, newest mtime, suspects and the stable verdict ("is this upload finished?").

import type { ViewStats } from '@fustor/protocol';
import type { CommandContext } from '../context.js';
import { formatDuration, formatSize, relativeTime, table, viewPath } from '../format.js';

/** The verdict in words, as the web page says it. */
export function verdict(s: ViewStats, hotMs?: number): string {
  if (s.partial) return 'partial: first snapshot not complete';
  if (s.stable) return 'finished';
  const why: string[] = [];
  if (s.suspect_count > 0) why.push(`${s.suspect_count} file${s.suspect_count === 1 ? '' : 's'} possibly still open`);
  if (s.latest_mtime_ms !== null) {
    const age = s.watermark_ms - s.latest_mtime_ms;
    if (hotMs === undefined || age <= hotMs) why.push(`newest change ${formatDuration(Math.max(0, age))} ago`);
  }
  return `still being written${why.length ? ` (${why.join('; ')})` : ''}`;
}

export async function getStats(ctx: CommandContext, path: string): Promise<ViewStats> {
  return ctx.http.get<ViewStats>(await ctx.viewPath('/stats'), { path }, ctx.signal);
}

export async function statsCommand(ctx: CommandContext, pathArg: string): Promise<void> {
  const s = await getStats(ctx, viewPath(pathArg));
  if (ctx.json) return ctx.printJson(s);
  const now = Date.now();
  const rows: string[][] = [
    ['path', s.path],
    ['verdict', `${verdict(s)}${s.stable ? ' (stable)' : ''}`],
    ['files', String(s.file_count)],
    ['directories', String(s.dir_count)],
    ['size', `${formatSize(s.total_size)} (${s.total_size} bytes)`],
    ['newest mtime', s.latest_mtime_ms === null ? '-' : `${relativeTime(s.latest_mtime_ms, now)} (${new Date(s.latest_mtime_ms).toISOString()})`],
    ['suspects', String(s.suspect_count)],
    ['blind spots', String(s.blind_spot_count)],
    ['snapshot', s.snapshot_complete ? `complete${s.last_snapshot_end_ms ? `, ${relativeTime(s.last_snapshot_end_ms, now)}` : ''}` : 'not complete yet'],
    ['last audit', s.last_audit_end_ms === null ? 'none yet' : `${relativeTime(s.last_audit_end_ms, now)}${s.is_auditing ? ' (auditing now)' : ''}`],
    ['staleness', s.staleness_ms === null ? '-' : formatDuration(s.staleness_ms)],
    ['realtime', s.can_realtime ? 'yes' : 'no (scans only)'],
  ];
  for (const l of table(['', ''], rows).slice(1)) ctx.out(l);
}
