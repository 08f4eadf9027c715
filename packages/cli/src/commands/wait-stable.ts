// `fustor wait-stable PATH [--timeout 1h]`: exit 0 once the subtree is stable, 1 at the timeout. Event-driven:
// stats once, then the feed filtered to PATH; stats are re-read when an entry arrives or when the newest mtime
// leaves the view's hot window (the moment it becomes stable by time passing, computed from stats), never on a loop.

import type { ViewStats } from '@fustor/protocol';
import type { CommandContext } from '../context.js';
import { EXIT, type ExitCode } from '../errors.js';
import { FeedFollower } from '../feed.js';
import { formatDuration, formatSize, parseDuration, viewPath } from '../format.js';
import { getStats, verdict } from './stats.js';

/** Entries in a burst are folded into one stats read at most this often. */
const MIN_RECHECK_MS = 250;
/**
 * Before the view's first complete snapshot no feed entry announces its end, so stats are re-read this
 * often until then (the only timed re-read).
 */
const PARTIAL_RECHECK_MS = 5_000;
/** setTimeout fires at once past 2^31 − 1 ms: longer waits are taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** When stats will say stable if nothing changes: the newest mtime leaves the hot window (null: not by time alone). */
export function stableByTimeInMs(s: ViewStats, hotMs: number): number | null {
  if (s.partial || s.suspect_count > 0) return null;
  if (s.latest_mtime_ms === null) return 0;
  // stable needs watermark − latest > hot: one millisecond past it
  return Math.max(0, s.latest_mtime_ms + hotMs - s.watermark_ms + 1);
}

export async function waitStableCommand(ctx: CommandContext, pathArg: string, o: { timeout?: string }): Promise<ExitCode> {
  const path = viewPath(pathArg);
  const timeoutMs = o.timeout === undefined ? null : parseDuration(o.timeout, '--timeout');
  const started = Date.now();
  const view = await ctx.view();
  const hotMs = ((await ctx.viewSummary(view)).hot_file_threshold_sec ?? 0) * 1000;
  // shared with the feed pump below (an object: closures assign it)
  const st: { dirty: boolean; fatal: unknown; wake: (() => void) | null } = { dirty: false, fatal: null, wake: null };
  const stop = new AbortController();
  const onAbort = () => {
    stop.abort();
    st.wake?.();
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  const poke = () => {
    st.dirty = true;
    st.wake?.();
  };
  let connected!: () => void;
  const firstConnect = new Promise<void>((r) => (connected = r));
  const follower = new FeedFollower(ctx, view, { path });
  const pump = (async () => {
    try {
      for await (const ev of follower.follow(stop.signal)) {
        if (ev.type === 'connected') connected();
        // a reconnect may have missed nothing (Last-Event-ID), but stats are cheap: read them again
        if (ev.type !== 'disconnected') poke();
      }
    } catch (err) {
      st.fatal = err;
      connected();
      st.wake?.();
    }
  })();

  try {
    // subscribed first: a change made after this point reaches us, so the stats below cannot go stale unseen
    await firstConnect;
    let lastCheck = 0;
    for (;;) {
      if (st.fatal) throw st.fatal;
      if (ctx.signal.aborted) return EXIT.TIMEOUT;
      st.dirty = false;
      lastCheck = Date.now();
      const s = await getStats(ctx, path);
      if (s.stable) {
        if (ctx.json) ctx.printJson(s);
        else ctx.out(`finished: ${s.path} (${s.file_count} file${s.file_count === 1 ? '' : 's'}, ${formatSize(s.total_size)})`);
        return EXIT.OK;
      }
      const byTime = s.partial ? PARTIAL_RECHECK_MS : stableByTimeInMs(s, hotMs);
      const left = timeoutMs === null ? Infinity : started + timeoutMs - Date.now();
      if (left <= 0) {
        ctx.err(`timed out after ${formatDuration(timeoutMs!)}: ${s.path} is ${verdict(s, hotMs)}`);
        if (ctx.json) ctx.printJson(s);
        return EXIT.TIMEOUT;
      }
      await new Promise<void>((resolve) => {
        if (st.dirty || st.fatal) return resolve();
        const timers: NodeJS.Timeout[] = [];
        let finished = false;
        const done = () => {
          if (finished) return;
          finished = true;
          timers.forEach(clearTimeout);
          st.wake = null;
          resolve();
        };
        st.wake = () => {
          // fold a burst of entries into one read
          const since = Date.now() - lastCheck;
          if (since >= MIN_RECHECK_MS) done();
          else timers.push(setTimeout(done, MIN_RECHECK_MS - since));
        };
        if (byTime !== null) timers.push(setTimeout(done, Math.min(byTime, MAX_TIMER_MS)));
        if (left !== Infinity) timers.push(setTimeout(done, Math.min(left, MAX_TIMER_MS)));
      });
    }
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    stop.abort();
    await pump;
  }
}
