// Realtime coverage, the same for every watcher backend: watched vs known directories, failure, and
// one notification per change of "can realtime" (the pipe decides on it whether realtime is trusted).

import type { LocalPath } from '../fs-layer.js';
import type { IssueReporter } from '../issues.js';
import { issueKindOf } from '../issues.js';
import type { WatchCoverage } from '../types.js';

export class Coverage {
  /** Directories the tree has (census, then corrected by scans and by directories seen coming and going). */
  knownDirs = 0;
  /** A watch failed (limit, I/O): realtime misses changes until the backend is restarted. */
  failed = false;
  closed = false;
  #last: boolean | null = null;
  readonly #watched: () => number;
  readonly #notify: (c: WatchCoverage) => void;

  constructor(watched: () => number, notify: (c: WatchCoverage) => void) {
    this.#watched = watched;
    this.#notify = notify;
  }

  get(): WatchCoverage {
    const watchedDirs = this.#watched();
    const knownDirs = Math.max(this.knownDirs, watchedDirs);
    return { watchedDirs, knownDirs, canRealtime: !this.failed && !this.closed && watchedDirs >= knownDirs };
  }

  /** Tells the owner the coverage when `canRealtime` changed (or always, with `force`). */
  report(force: boolean): void {
    const c = this.get();
    if (!force && c.canRealtime === this.#last) return;
    this.#last = c.canRealtime;
    try {
      this.#notify(c);
    } catch {
      // hook errors are the caller's business
    }
  }

  /**
   * A watcher error: reported as an issue, coverage marked failed. A path that vanished before its
   * watch was set is not a failure (its parent reports the removal). `limitHint` says how to get past
   * the inotify limit on this backend; `label` prefixes other messages.
   */
  watchError(issues: IssueReporter, err: unknown, where: LocalPath, limitHint: string, label: string): void {
    const e = err as NodeJS.ErrnoException;
    const kind = issueKindOf(e?.code);
    if (kind === 'vanished') return;
    this.failed = true;
    if (kind === 'watch_limit') issues.report('watch_limit', where, `inotify watch limit reached${limitHint}`, e.code);
    else issues.report(kind === 'io_error' ? 'watch_error' : kind, where, `${label}: ${e?.message ?? String(err)}`, e?.code);
    this.report(false);
  }
}
