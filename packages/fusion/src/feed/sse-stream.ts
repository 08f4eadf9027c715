// One SSE reader of a view's feed: catch-up from the log paced by the socket, then live frames from the hub; lagged readers are cut off.

import type { ServerResponse } from 'node:http';
import { OP_RESET } from '../changes/change-buffer.js';
import type { ChangeRecord, CommittedChanges } from '../changes/committed.js';
import type { ViewEngine } from '../contract.js';
import { toEntry } from './entry.js';
import type { RecordFilter } from './filter.js';

/** Entries read from the log per catch-up step; the next step waits for the socket to drain. */
const CATCH_UP_PAGE = 500;
const CATCH_UP_SCAN = 50_000;

export interface StreamOptions {
  engine: ViewEngine;
  filter: RecordFilter;
  /** Cursor already seen by the reader (entries after it are sent). */
  since: number;
  /** Pending entries beyond which the reader is sent `lagged` and closed (feed.max_lag). */
  maxLag: number;
  /** Joins the hub's live fan-out; called synchronously right after the last catch-up read. */
  attach(s: SseStream): void;
  detach(s: SseStream): void;
}

export function frame(r: ChangeRecord, engine: ViewEngine): string {
  const event = r.op === OP_RESET ? 'reset' : 'change';
  return `id: ${r.cursor}\nevent: ${event}\ndata: ${JSON.stringify(toEntry(r, engine.labels))}\n\n`;
}

/**
 * Never holds more than `maxLag` entries for a slow reader: entries are written while the socket accepts
 * them, queued while it is draining, and past the bound the reader gets `event: lagged` (with the cursor
 * to resume from by polling) and the stream ends. Catch-up reads the log a page at a time and only after
 * the socket drained, so a reader far behind costs a bounded amount of memory too.
 */
export class SseStream {
  readonly #res: ServerResponse;
  readonly #o: StreamOptions;
  #last: number;
  /** Frames waiting for the socket to drain, with their cursors. */
  #queue: Array<[number, string]> = [];
  /** Every entry up to this cursor was written (or filtered out) while nothing was queued: where a lagged reader resumes. */
  #sentLast: number;
  #live = false;
  #closed = false;

  constructor(res: ServerResponse, o: StreamOptions) {
    this.#res = res;
    this.#o = o;
    this.#last = o.since;
    this.#sentLast = o.since;
    res.on('close', () => this.#end());
    res.on('drain', () => this.#flush());
  }

  get view(): string {
    return this.#o.engine.id;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes headers and the first comment, then catches up and goes live. */
  async start(): Promise<void> {
    const res = this.#res;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 2000\n: fustor change feed of view ${this.#o.engine.id}, after cursor ${this.#last}\n\n`);
    await this.#catchUp();
  }

  async #catchUp(): Promise<void> {
    const { engine, filter } = this.#o;
    while (!this.#closed) {
      const { records, next } = await engine.changes(this.#last, CATCH_UP_PAGE, filter, CATCH_UP_SCAN);
      if (this.#closed) return;
      for (const r of records) this.#res.write(frame(r, engine));
      const { latest, oldest_since } = engine.feedBounds();
      if (next > this.#last) this.#last = this.#sentLast = next;
      else if (this.#last < oldest_since) return this.lagged('entries after this cursor were dropped by retention while catching up');
      if (this.#last >= latest) {
        // Checked and attached in one tick: a commit made while the read was awaited raised `latest` and
        // sends us round the loop again, so no entry falls between the log and the live fan-out.
        this.#live = true;
        this.#o.attach(this);
        return;
      }
      if (this.#res.writableNeedDrain) await new Promise<void>((resolve) => {
        const done = () => {
          this.#res.off('drain', done);
          this.#res.off('close', done);
          resolve();
        };
        this.#res.once('drain', done);
        this.#res.once('close', done);
      });
    }
  }

  /** Live entries of one commit (frames are shared by all readers of the commit). */
  push(changes: CommittedChanges, frameAt: (i: number) => string): void {
    if (!this.#live || this.#closed) return;
    const start = Math.max(0, this.#last + 1 - changes.first);
    for (let i = start; i < changes.length; i++) {
      const cursor = changes.first + i;
      const r = changes.record(i);
      this.#last = cursor;
      const backlog = this.#queue.length > 0 || this.#res.writableNeedDrain;
      if (!this.#o.filter(r)) {
        if (!backlog) this.#sentLast = cursor;
        continue;
      }
      if (backlog) {
        this.#queue.push([cursor, frameAt(i)]);
        if (this.#queue.length > this.#o.maxLag) return this.lagged(`more than ${this.#o.maxLag} entries behind (feed.max_lag)`);
      } else {
        this.#res.write(frameAt(i));
        this.#sentLast = cursor;
      }
    }
  }

  /** Idle streams get a comment line so proxies and clients know the stream is alive. */
  keepalive(): void {
    if (this.#closed || this.#queue.length > 0 || this.#res.writableNeedDrain) return;
    this.#res.write(': keepalive\n\n');
  }

  #flush(): void {
    while (this.#queue.length > 0 && !this.#res.writableNeedDrain && !this.#closed) {
      const [cursor, f] = this.#queue.shift()!;
      this.#res.write(f);
      this.#sentLast = cursor;
    }
    if (this.#queue.length === 0 && !this.#closed) this.#sentLast = this.#last;
  }

  /** Tells the reader where to resume (by polling `since`) and ends the stream. */
  lagged(why: string): void {
    if (this.#closed) return;
    // Resume after the last entry actually written, not after the ones still queued.
    this.#queue = [];
    this.#res.write(`event: lagged\ndata: ${JSON.stringify({ cursor: this.#sentLast, message: `${why}; resume with GET .../changes?since=<cursor>` })}\n\n`);
    this.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#end();
    this.#res.end();
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#o.detach(this);
  }
}
