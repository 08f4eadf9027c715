// Realtime for one source: the chosen backend, the shared event reporter, and recovery when the
// watched root itself is removed or replaced (`rm -rf ROOT; mkdir ROOT`).
//
// inotify watches follow inodes: once the root goes, every watch is dead (or follows the moved tree)
// and nothing would ever be reported again. So the backend is closed, the loss is reported
// (issue `root_lost`, coverage false), the root path is looked at every ROOT_POLL_MS until it is a
// directory again, then a fresh census and backend start and the owner is told to rescan: what
// happened in between is only known to a snapshot and an audit.

import type { FileEvent } from '@fustor/protocol';
import type { Filters } from '../filters.js';
import type { FsLayer } from '../fs-layer.js';
import type { IssueReporter } from '../issues.js';
import type { WatchCoverage, WatcherKind } from '../types.js';
import { createBackend, type WatchBackend } from './backend.js';
import { census, type DirInfo } from './census.js';
import { ChangeReporter } from './reporter.js';

/** How often a lost root is looked for (one realpath + lstat); only while it is missing. */
export const ROOT_POLL_MS = 500;

export interface RealtimeDeps {
  kind: WatcherKind;
  /** The root as configured (it may be a symlink): resolved again when the root comes back. */
  configuredRoot: string;
  root: string;
  fs: FsLayer;
  filters: Filters;
  issues: IssueReporter;
  settleMs: number;
  maxWatchedDirs: number;
  now(): number;
  emit(ev: FileEvent): void;
  onCoverage(c: WatchCoverage): void;
  /** The root is watched again after a loss (its resolved path may have changed): rescan. */
  onRestored(root: string, reason: string): void;
}

export class Realtime {
  #d: RealtimeDeps;
  #root: string;
  #reporter: ChangeReporter;
  #backend: WatchBackend | null = null;
  #closed = false;
  /** Bumped at every loss and at close, so a restore that lost the race gives up. */
  #generation = 0;
  #lostReason: string | null = null;
  #poll: NodeJS.Timeout | null = null;
  #knownDirs = 0;

  constructor(deps: RealtimeDeps) {
    this.#d = deps;
    this.#root = deps.root;
    this.#reporter = new ChangeReporter({
      fs: deps.fs, filters: deps.filters, issues: deps.issues, settleMs: deps.settleMs, now: deps.now, emit: deps.emit,
    });
  }

  /** Starts the backend on the census; resolves once its watches are active (or planned, with `background`: see WatchBackend). */
  async start(dirs: DirInfo[], background = false): Promise<void> {
    this.#knownDirs = dirs.length;
    const gen = this.#generation;
    const backend = await createBackend(this.#d.kind, {
      root: this.#root, fs: this.#d.fs, filters: this.#d.filters, issues: this.#d.issues,
      maxWatchedDirs: this.#d.maxWatchedDirs, reporter: this.#reporter,
      onCoverage: (c) => {
        if (this.#backend === backend) this.#coverage(c);
      },
      rootLost: (reason) => {
        if (this.#backend === backend) this.#rootLost(reason);
      },
    });
    if (this.#closed || gen !== this.#generation) return void (await backend.close());
    this.#backend = backend;
    await backend.start(dirs, background);
  }

  /** Resolves once the backend has no planned watch left to add. */
  async settled(): Promise<void> {
    await this.#backend?.settled?.();
  }

  /** The watch of directory `view` is in place when this returns (if it is one of the watched). */
  ensureWatched(view: string): void {
    this.#backend?.ensureWatched?.(view);
  }

  isHot(view: string): boolean {
    return this.#reporter.isHot(view);
  }

  hotCount(): number {
    return this.#reporter.hotCount();
  }

  setKnownDirs(n: number): void {
    this.#knownDirs = n;
    this.#backend?.setKnownDirs(n);
  }

  coverage(): WatchCoverage {
    return this.#backend?.coverage() ?? { watchedDirs: 0, knownDirs: this.#knownDirs, canRealtime: false };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#generation++;
    if (this.#poll) clearTimeout(this.#poll);
    this.#poll = null;
    this.#reporter.close();
    const b = this.#backend;
    this.#backend = null;
    if (b) await b.close();
  }

  #coverage(c: WatchCoverage): void {
    try {
      this.#d.onCoverage(c);
    } catch {
      // hook errors are the caller's business
    }
  }

  #rootLost(reason: string): void {
    if (this.#closed || this.#lostReason !== null) return;
    this.#lostReason = reason;
    this.#generation++;
    this.#d.issues.report('root_lost', this.#root, `${reason}: realtime stopped until it exists again, then the pipe rescans`);
    // Pending settles and directory reports refer to the old tree.
    this.#reporter.forgetUnder('/');
    const b = this.#backend;
    this.#backend = null;
    if (b) void b.close().catch(() => undefined);
    this.#coverage(this.coverage());
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#poll = setTimeout(() => void this.#tryRestore(), ROOT_POLL_MS);
    this.#poll.unref?.();
  }

  async #tryRestore(): Promise<void> {
    this.#poll = null;
    const gen = this.#generation;
    const d = this.#d;
    try {
      const real = await d.fs.realpath(d.configuredRoot);
      const st = d.fs.lstatSync(real);
      if (st === undefined || !st.isDirectory()) return this.#schedule();
      const c = await census(d.fs, real, d.filters, d.issues, Number.MAX_SAFE_INTEGER);
      if (gen !== this.#generation || this.#closed) return;
      if (c.dirs.length === 0) return this.#schedule(); // gone again while we looked
      const lostAt = this.#root;
      const reason = this.#lostReason ?? 'the watched root came back';
      // From here a new loss (the root going again while the backend starts) is a loss of its own.
      this.#lostReason = null;
      d.issues.forget('root_lost', lostAt);
      this.#root = real;
      try {
        await this.start(c.dirs);
      } catch (err) {
        this.#lostReason ??= reason;
        throw err;
      }
      if (gen !== this.#generation || this.#closed || this.#backend === null) return;
      d.onRestored(real, `${reason}; it exists again and is watched`);
    } catch {
      if (gen === this.#generation) this.#schedule();
    }
  }
}
