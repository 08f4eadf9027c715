// Turns "something happened to this path" into FileEvents, the same way for every watch backend:
// metadata from lstat, the settle pair for writes, attribute changes, directory mtimes.

import type { Stats } from 'node:fs';
import type { FileEvent, UpsertEvent } from '@fustor/protocol';
import type { Filters } from '../filters.js';
import type { FsLayer, LocalPath } from '../fs-layer.js';
import type { IssueReporter } from '../issues.js';
import { metaOf } from '../meta.js';
import { DirMtimes } from './dir-mtimes.js';
import { SettleTracker } from './settle.js';

export interface ReporterDeps {
  fs: FsLayer;
  filters: Filters;
  issues: IssueReporter;
  settleMs: number;
  /** The driver's clock (local + drift) for observed_at_ms. */
  now(): number;
  emit(ev: FileEvent): void;
}

/** A directory upsert as every phase writes it (metaOf: the scan's own helper). */
export function dirUpsert(view: string, st: Stats, observedAt: number): UpsertEvent {
  return { op: 'upsert', path: view, is_dir: true, mtime_ms: st.mtimeMs, observed_at_ms: observedAt, ...metaOf(st) };
}

export class ChangeReporter {
  #d: ReporterDeps;
  #tracker: SettleTracker;
  #dirs: DirMtimes;

  constructor(deps: ReporterDeps) {
    this.#d = deps;
    const mono = () => performance.now();
    this.#tracker = new SettleTracker({
      settleMs: deps.settleMs,
      mono,
      lstat: (p) => deps.fs.lstatSync(p),
      onSettled: (view, st) => deps.emit(this.#fileEvent(view, st, true)),
    });
    this.#dirs = new DirMtimes({ mono, flush: (view, local) => this.#flushDir(view, local) });
  }

  /** lstat that reports real failures once and answers undefined for a missing entry. */
  lstat(p: LocalPath): Stats | undefined {
    try {
      return this.#d.fs.lstatSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTDIR') this.#d.issues.fromError(err, p, 'stat');
      return undefined;
    }
  }

  /** True while the file at `view` is being written (the snapshot leaves it to the watcher). */
  isHot(view: string): boolean {
    return this.#tracker.has(view);
  }

  /** Files being written now (0: isHot is false everywhere). */
  hotCount(): number {
    return this.#tracker.size;
  }

  /**
   * A non-directory entry appeared or was replaced: the start of a write. It is visible at once,
   * flagged as possibly incomplete; the settle tracker reports it again, atomic, once quiet.
   */
  appeared(view: string, segment: string, local: LocalPath, st: Stats): void {
    if (!this.#d.filters.fileName(segment)) return;
    if (this.#d.settleMs <= 0) return this.#d.emit(this.#fileEvent(view, st, true));
    if (this.#tracker.touch(view, local, st)) this.#d.emit(this.#fileEvent(view, st, false));
  }

  /**
   * A modification of an existing entry ('change': content or attributes). A writer appending in a
   * loop sends one event per write: while the file settles only its deadline moves (no stat per write).
   */
  modified(view: string, segment: string, local: LocalPath): 'settling' | 'gone' | 'seen' {
    if (this.#tracker.bump(view)) return 'settling';
    const st = this.lstat(local);
    if (st === undefined) return 'gone'; // its delete event reports it
    if (st.isDirectory()) this.dir(view, st);
    // A write sets mtime and ctime to the same instant; chmod, chown, touch -a/-d and link-count
    // changes move only ctime. Such a change is not a write: one upsert with the new metadata, final.
    else if (st.ctimeMs > st.mtimeMs) {
      if (this.#d.filters.fileName(segment)) this.#d.emit(this.#fileEvent(view, st, true));
    } else this.appeared(view, segment, local, st);
    return 'seen';
  }

  dir(view: string, st: Stats): void {
    this.#d.emit(dirUpsert(view, st, this.#d.now()));
  }

  /** The entries of a directory changed: its new mtime is reported once the burst is over. */
  entriesChanged(dirView: string, dirLocal: LocalPath): void {
    this.#dirs.touch(dirView, dirLocal);
  }

  deleted(view: string, isDir: boolean): void {
    if (isDir) {
      this.#tracker.removeUnder(view);
      this.#dirs.removeUnder(view);
    } else this.#tracker.remove(view);
    const ev: FileEvent = { op: 'delete', path: view, observed_at_ms: this.#d.now() };
    if (isDir) ev.is_dir = true;
    this.#d.emit(ev);
  }

  /** Forgets pending work below `view` without reporting anything (its watches went away). */
  forgetUnder(view: string): void {
    this.#tracker.removeUnder(view);
    this.#dirs.removeUnder(view);
  }

  close(): void {
    this.#tracker.close();
    this.#dirs.clear();
  }

  #flushDir(view: string, local: LocalPath): void {
    const st = this.lstat(local);
    if (st !== undefined && st.isDirectory()) this.dir(view, st);
  }

  #fileEvent(view: string, st: Stats, atomic: boolean): UpsertEvent {
    return {
      op: 'upsert', path: view, is_dir: false, size: st.size, mtime_ms: st.mtimeMs, observed_at_ms: this.#d.now(),
      is_atomic_write: atomic, ...metaOf(st),
    };
  }
}
