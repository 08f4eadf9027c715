// Follows a view's change feed over SSE: resumes after a dropped connection with Last-Event-ID and capped, jittered
// backoff; a `lagged` cut-off is caught up by polling from the given cursor before streaming again.

import type { ChangeEntry, ChangesPage } from '@fustor/protocol';
import type { CommandContext } from './context.js';
import { CliError, EXIT } from './errors.js';
import { ApiAnswerError, isUnreachable } from './http.js';
import { sseEvents } from './sse-parse.js';

export type FeedEvent =
  | { type: 'change'; entry: ChangeEntry }
  | { type: 'reset'; entry: ChangeEntry }
  /** The stream is open; entries after `since` follow. */
  | { type: 'connected'; since: number; resumed: boolean }
  | { type: 'disconnected'; error: string; retryInMs: number }
  /** Fusion cut the stream off because we fell behind; we poll from `cursor`. */
  | { type: 'lagged'; cursor: number }
  /** Entries between the cursors were dropped by the feed's retention while we were away. */
  | { type: 'gap'; from: number; to: number };

export interface FeedOptions {
  path?: string;
  pattern?: string;
  ops?: string;
  /** Start after this cursor; default: from now on. */
  since?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export class FeedFollower {
  #cursor: number | null;

  constructor(
    readonly ctx: CommandContext,
    readonly view: string,
    readonly opts: FeedOptions = {},
  ) {
    this.#cursor = opts.since ?? null;
  }

  /** The last cursor seen (where a reconnect resumes). */
  get cursor(): number | null {
    return this.#cursor;
  }

  get #base(): string {
    return `/views/${encodeURIComponent(this.view)}/changes`;
  }

  get #filters() {
    return { path: this.opts.path, pattern: this.opts.pattern, ops: this.opts.ops };
  }

  /** The newest cursor now: a stream opened at it misses nothing that happens after this call. */
  async #latest(): Promise<number> {
    return (await this.ctx.http.get<ChangesPage>(this.#base, { limit: 1 }, this.ctx.signal)).latest_cursor;
  }

  async *follow(signal: AbortSignal): AsyncGenerator<FeedEvent> {
    this.#cursor ??= await this.#latest();
    let attempt = 0;
    let resumed = false;
    while (!signal.aborted) {
      let why: string;
      try {
        const body = await this.ctx.http.openStream(this.#base, this.#filters, { 'last-event-id': String(this.#cursor) }, signal);
        attempt = 0;
        yield { type: 'connected', since: this.#cursor, resumed };
        resumed = true;
        let lagged = false;
        for await (const ev of sseEvents(body)) {
          if (ev.event === 'change' || ev.event === 'reset') {
            const entry = JSON.parse(ev.data) as ChangeEntry;
            this.#cursor = entry.cursor;
            yield { type: ev.event, entry };
          } else if (ev.event === 'lagged') {
            this.#cursor = (JSON.parse(ev.data) as { cursor: number }).cursor;
            yield { type: 'lagged', cursor: this.#cursor };
            lagged = true;
          }
        }
        if (lagged) {
          yield* this.#catchUp();
          continue;
        }
        why = 'the stream ended';
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiAnswerError && err.status === 409 && typeof err.details?.oldest_cursor === 'number') {
          const to = err.details.oldest_cursor;
          yield { type: 'gap', from: this.#cursor, to };
          this.#cursor = to;
          continue;
        }
        if (err instanceof CliError && err.exitCode !== EXIT.UNREACHABLE) throw err;
        if (!(err instanceof CliError) && !isUnreachable(err)) throw err;
        why = err instanceof Error ? err.message : String(err);
      }
      const base = this.opts.backoffBaseMs ?? 250;
      const cap = Math.min(this.opts.backoffMaxMs ?? 10_000, base * 2 ** Math.min(attempt++, 16));
      // equal jitter: never hammer a restarting server, never wait longer than the cap
      const delay = Math.round(cap / 2 + (Math.random() * cap) / 2);
      yield { type: 'disconnected', error: why, retryInMs: delay };
      await sleep(delay, signal);
    }
  }

  /** Polls from the cursor until caught up with the newest entry. */
  async *#catchUp(): AsyncGenerator<FeedEvent> {
    for (;;) {
      const page = await this.ctx.http.get<ChangesPage>(this.#base, { ...this.#filters, since: this.#cursor!, limit: 1000 }, this.ctx.signal);
      for (const entry of page.items) {
        this.#cursor = entry.cursor;
        yield { type: entry.op === 'reset' ? 'reset' : 'change', entry };
      }
      this.#cursor = Math.max(this.#cursor!, page.next_cursor);
      if (page.items.length === 0 && page.next_cursor >= page.latest_cursor) return;
    }
  }
}
