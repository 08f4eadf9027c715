// Directories whose entries changed, reported once per burst with their new mtime (one timer for all).
//
// Creating, deleting or renaming an entry changes its directory's mtime, and inotify says nothing
// about the directory itself; Fusion's stale-listing rule (consistency.md §4) compares a scan's
// parent_mtime_ms with the directory's mtime it holds, so realtime must keep that mtime current.
// A burst of 10,000 creates in one directory costs one lstat and one upsert, not 10,000.

import type { LocalPath } from '../fs-layer.js';

/** A directory is reported this long after the last change to its entries… */
export const DIR_QUIET_MS = 50;
/** …or at the latest this long after the first one, so a directory that never rests is still reported. */
export const DIR_MAX_DELAY_MS = 1000;

interface Dirty {
  local: LocalPath;
  first: number;
  last: number;
}

export interface DirMtimeDeps {
  /** Monotonic milliseconds. */
  mono(): number;
  /** Called once per burst with the directory to re-stat and report. */
  flush(view: string, local: LocalPath): void;
}

export class DirMtimes {
  #dirty = new Map<string, Dirty>();
  #timer: NodeJS.Timeout | null = null;
  #armedFor = Infinity;
  #d: DirMtimeDeps;

  constructor(deps: DirMtimeDeps) {
    this.#d = deps;
  }

  /** The entries of `view` changed (a child was created, deleted or renamed). */
  touch(view: string, local: LocalPath): void {
    const now = this.#d.mono();
    const e = this.#dirty.get(view);
    if (e === undefined) this.#dirty.set(view, { local, first: now, last: now });
    else e.last = now;
    this.#arm(now + DIR_QUIET_MS);
  }

  /** Drops `view` and everything below it (the directory is gone: its delete says so). */
  removeUnder(view: string): void {
    if (this.#dirty.size === 0) return;
    const prefix = view === '/' ? '/' : view + '/';
    for (const k of this.#dirty.keys()) if (k === view || k.startsWith(prefix)) this.#dirty.delete(k);
  }

  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedFor = Infinity;
    this.#dirty.clear();
  }

  #arm(at: number): void {
    if (this.#timer !== null && this.#armedFor <= at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#armedFor = at;
    this.#timer = setTimeout(() => this.#check(), Math.max(1, at - this.#d.mono()));
    this.#timer.unref?.();
  }

  #check(): void {
    this.#timer = null;
    this.#armedFor = Infinity;
    const now = this.#d.mono();
    let next = Infinity;
    const due: [string, LocalPath][] = [];
    for (const [view, e] of this.#dirty) {
      const at = Math.min(e.last + DIR_QUIET_MS, e.first + DIR_MAX_DELAY_MS);
      if (at > now) next = Math.min(next, at);
      else due.push([view, e.local]);
    }
    for (const [view] of due) this.#dirty.delete(view);
    for (const [view, local] of due) this.#d.flush(view, local);
    if (next !== Infinity) this.#arm(next);
  }
}
