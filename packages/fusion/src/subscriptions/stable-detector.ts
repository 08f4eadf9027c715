// Decides when a changed subtree has become stable, driven by its changes and by time passing — never by rescanning.

import type { SubscriptionRow, ViewEngine } from '../contract.js';

export interface PendingKey {
  sub: SubscriptionRow;
  key: string;
  /** Newest feed cursor seen in the subtree. */
  cursor: number;
}

export interface DetectorHooks {
  view(id: string): ViewEngine | undefined;
  /** The subtree is stable: enqueue its delivery and forget the key, atomically (rejects when that failed). */
  stable(p: PendingKey, stats: NonNullable<ReturnType<ViewEngine['stats']>>): Promise<void>;
  /** The subtree vanished: forget the key. */
  gone(p: PendingKey): void;
  log(level: 'debug' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

/** While a view has no complete snapshot nothing is stable; keys are looked at again this often. */
const PARTIAL_RETRY_MS = 1000;
/** Slack after the hot threshold runs out, so the check does not land a hair before the verdict flips. */
const MARGIN_MS = 25;

/**
 * Holds only the subtrees that changed since they were last reported (idle folders cost nothing). A key is
 * checked when a change under it arrives and when its newest mtime leaves the hot threshold: stats() are
 * O(1) per subtree (aggregates), suspects that settle arrive as `settled` entries, so no timer ever walks a tree.
 * One timer per detector, armed for the earliest due key.
 */
export class StableDetector {
  readonly #hooks: DetectorHooks;
  /** "subId\0key" → pending key and when to look at it (0 = now). */
  readonly #pending = new Map<string, { p: PendingKey; due: number }>();
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #stopped = false;

  constructor(hooks: DetectorHooks) {
    this.#hooks = hooks;
  }

  get size(): number {
    return this.#pending.size;
  }

  countFor(subId: string): number {
    let n = 0;
    for (const { p } of this.#pending.values()) if (p.sub.id === subId) n++;
    return n;
  }

  /** A change under the key (or a restart that reloaded it): look again now. */
  touch(p: PendingKey): void {
    const id = `${p.sub.id}\0${p.key}`;
    const cur = this.#pending.get(id);
    if (cur) {
      cur.p.cursor = Math.max(cur.p.cursor, p.cursor);
      cur.due = 0;
    } else this.#pending.set(id, { p, due: 0 });
    this.#arm(Date.now());
  }

  forgetSubscription(subId: string): void {
    for (const [id, v] of this.#pending) if (v.p.sub.id === subId) this.#pending.delete(id);
  }

  /** The view is no longer served here (it moved): its keys are the new owner's to check. */
  forgetView(view: string): void {
    for (const [id, v] of this.#pending) if (v.p.sub.view === view) this.#pending.delete(id);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(due: number): void {
    if (this.#stopped || due >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = due;
    // Checks run on a timer turn, never inside the commit that touched the key.
    this.#timer = setTimeout(() => this.#run(), Math.max(0, due - Date.now()));
    this.#timer.unref();
  }

  #run(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [id, v] of [...this.#pending]) {
      if (v.due > now) {
        next = Math.min(next, v.due);
        continue;
      }
      const due = this.#check(id, v.p, now);
      if (due !== null) {
        v.due = due;
        next = Math.min(next, due);
      }
    }
    if (next !== Infinity) this.#arm(next);
  }

  /** Returns when to look again, or null when the key was settled (delivered or gone). */
  #check(id: string, p: PendingKey, now: number): number | null {
    const engine = this.#hooks.view(p.sub.view);
    if (!engine) return now + PARTIAL_RETRY_MS * 10;
    let stats: ReturnType<ViewEngine['stats']>;
    try {
      stats = engine.stats(p.key);
    } catch (err) {
      this.#hooks.log('error', 'stable check failed', { subscription: p.sub.id, path: p.key, error: String(err) });
      return now + PARTIAL_RETRY_MS;
    }
    if (stats === null) {
      this.#pending.delete(id);
      this.#hooks.gone(p);
      return null;
    }
    if (stats.stable) {
      this.#pending.delete(id);
      this.#hooks.stable(p, stats).catch((err: unknown) => {
        // Not recorded: keep the key and try again shortly (the delivery must not be lost).
        if (this.#stopped) return;
        if (!this.#pending.has(id)) this.#pending.set(id, { p, due: Date.now() + PARTIAL_RETRY_MS });
        this.#hooks.log('error', 'could not enqueue a stable delivery; will retry', { subscription: p.sub.id, path: p.key, error: String(err) });
        this.#arm(Date.now() + PARTIAL_RETRY_MS);
      });
      return null;
    }
    if (!stats.snapshot_complete) return now + PARTIAL_RETRY_MS;
    // Suspects clear through `settled` entries, which touch the key again: no timer needed for them.
    if (stats.suspect_count > 0) return Infinity;
    const hotMs = engine.config.hot_file_threshold_sec * 1000;
    const wait = (stats.latest_mtime_ms ?? stats.watermark_ms) + hotMs - stats.watermark_ms;
    return now + Math.max(0, wait) + MARGIN_MS;
  }
}
