// Tracks files seen changing until they stay unchanged for write_settle_ms (one timer for all).

import type { Stats } from 'node:fs';
import type { LocalPath } from '../fs-layer.js';

interface Pending {
  local: LocalPath;
  lastChange: number;
  /** Events arrived after size/mtime were recorded (bump() records no stat). */
  bumped: boolean;
  size: number;
  mtimeMs: number;
}

export interface SettleDeps {
  settleMs: number;
  /** Monotonic milliseconds. */
  mono(): number;
  lstat(local: LocalPath): Stats | undefined;
  /** The file stayed unchanged for settleMs: report it as an atomic (complete) write. */
  onSettled(view: string, st: Stats): void;
}

export class SettleTracker {
  #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | null = null;
  #deps: SettleDeps;

  constructor(deps: SettleDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** True while `view` is being written (changed less than settleMs ago and not yet settled). */
  has(view: string): boolean {
    return this.#pending.has(view);
  }

  /**
   * Records a change. Returns true when this starts a new write (the caller reports it once with
   * is_atomic_write:false); later changes during the same write only push the settle deadline.
   */
  touch(view: string, local: LocalPath, st: Stats): boolean {
    const p = this.#pending.get(view);
    const now = this.#deps.mono();
    if (p !== undefined) {
      p.lastChange = now;
      p.bumped = false;
      p.size = st.size;
      p.mtimeMs = st.mtimeMs;
      return false;
    }
    this.#pending.set(view, { local, lastChange: now, bumped: false, size: st.size, mtimeMs: st.mtimeMs });
    this.#arm(this.#deps.settleMs);
    return true;
  }

  /** A further change of a file already being written: push its deadline without a stat. */
  bump(view: string): boolean {
    const p = this.#pending.get(view);
    if (p === undefined) return false;
    p.lastChange = this.#deps.mono();
    p.bumped = true;
    return true;
  }

  remove(view: string): void {
    this.#pending.delete(view);
  }

  /** Drops every pending path at or below a removed directory. */
  removeUnder(dirView: string): void {
    const prefix = dirView === '/' ? '/' : dirView + '/';
    for (const k of this.#pending.keys()) if (k === dirView || k.startsWith(prefix)) this.#pending.delete(k);
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending.clear();
  }

  #arm(delay: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#check(), Math.max(1, delay));
    this.#timer.unref?.();
  }

  #check(): void {
    this.#timer = null;
    const { settleMs, mono, lstat, onSettled } = this.#deps;
    const now = mono();
    let next = Infinity;
    for (const [view, p] of this.#pending) {
      const due = p.lastChange + settleMs;
      if (due > now) {
        next = Math.min(next, due);
        continue;
      }
      let st: Stats | undefined;
      try {
        st = lstat(p.local);
      } catch {
        st = undefined;
      }
      if (st === undefined) {
        this.#pending.delete(view); // gone: its unlink event reports it
        continue;
      }
      // After bumps the last event is settleMs old, so the file is as the last write left it;
      // without bumps a differing stat means a change no event told us about: wait again.
      if (!p.bumped && (st.size !== p.size || st.mtimeMs !== p.mtimeMs)) {
        // Changed without an event reaching us (coalesced by the kernel): keep waiting.
        p.size = st.size;
        p.mtimeMs = st.mtimeMs;
        p.lastChange = now;
        next = Math.min(next, now + settleMs);
        continue;
      }
      this.#pending.delete(view);
      onSettled(view, st);
    }
    if (next !== Infinity) this.#arm(next - now);
  }
}
