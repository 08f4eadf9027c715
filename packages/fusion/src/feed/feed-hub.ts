// One in-process fan-out per view: each commit's entries go to the view's SSE readers; no reader polls the database.

import type { CommittedChanges } from '../changes/committed.js';
import type { CommitListener, ViewEngine } from '../contract.js';
import { frame, SseStream } from './sse-stream.js';

/** Idle streams get a comment at least this often (consumers.md §4 asks for ≤ 15 s). */
export const KEEPALIVE_MS = 10_000;

export class FeedHub implements CommitListener {
  readonly #streams = new Map<string, Set<SseStream>>();
  readonly #keepaliveMs: number;
  #timer: NodeJS.Timeout | null = null;
  /** Feed entries handed to live readers (metrics). */
  delivered = 0;

  constructor(keepaliveMs = KEEPALIVE_MS) {
    this.#keepaliveMs = keepaliveMs;
  }

  /** Readers connected now, per view. */
  counts(): Map<string, number> {
    return new Map([...this.#streams].map(([v, s]) => [v, s.size]));
  }

  get size(): number {
    let n = 0;
    for (const s of this.#streams.values()) n += s.size;
    return n;
  }

  attach(s: SseStream): void {
    let set = this.#streams.get(s.view);
    if (!set) this.#streams.set(s.view, (set = new Set()));
    set.add(s);
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#keepalive(), this.#keepaliveMs);
      this.#timer.unref();
    }
  }

  detach(s: SseStream): void {
    const set = this.#streams.get(s.view);
    if (!set?.delete(s)) return;
    if (set.size === 0) this.#streams.delete(s.view);
    if (this.#streams.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  committed(view: ViewEngine, changes: CommittedChanges): void {
    const set = this.#streams.get(view.id);
    if (!set || set.size === 0) return;
    // A frame is serialized once per commit, whatever the number of readers it goes to.
    const frames: Array<string | undefined> = [];
    const frameAt = (i: number) => (frames[i] ??= frame(changes.record(i), view));
    for (const s of [...set]) s.push(changes, frameAt);
    this.delivered += changes.length;
  }

  #keepalive(): void {
    for (const set of this.#streams.values()) for (const s of set) s.keepalive();
  }

  /** Ends every stream (shutdown, or a view that stopped being served). */
  closeAll(view?: string): void {
    for (const [v, set] of [...this.#streams]) {
      if (view !== undefined && v !== view) continue;
      for (const s of [...set]) s.close();
    }
  }
}
