// One view's change log in fusion.db: one row per commit holding its entries as column blobs, cursors numbered per view.

import type Database from 'better-sqlite3';
import type { ChangeBuffer } from '../changes/change-buffer.js';
import { CommittedChanges, type ChangeRecord } from '../changes/committed.js';
import { collectFromRows, encodeFeedBlobs, type FeedRow } from './codec/feed-blobs.js';

export function feedTable(num: number): string {
  return `feed_${num}`;
}

export function createFeedTable(db: Database.Database, num: number): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${feedTable(num)} (
    first INTEGER PRIMARY KEY, count INTEGER NOT NULL, at REAL NOT NULL,
    ops BLOB NOT NULL, bits BLOB NOT NULL, srcs BLOB NOT NULL, agents BLOB NOT NULL,
    sizes BLOB NOT NULL, mtimes BLOB NOT NULL, ks BLOB NOT NULL, uids BLOB NOT NULL, gids BLOB NOT NULL,
    modes BLOB NOT NULL, ctimes BLOB NOT NULL, paths TEXT NOT NULL)`);
}

export interface FeedRetention {
  /** Entries kept per view (older rows are dropped whole). */
  entries: number;
  /** Entries older than this are dropped. */
  hours: number;
}

/** Prune at most this often: a retention check is two range deletes, not worth paying on every commit. */
const PRUNE_EVERY_COMMITS = 256;
const PRUNE_EVERY_MS = 10_000;
/** Rows one age prune looks at: bounded work per commit that prunes, and it runs far more often than rows age out. */
const PRUNE_MAX_ROWS = 10_000;

/**
 * Rows are written inside the batch's transaction, so the feed and the tree can never disagree after a
 * crash. A row is one commit: P1's 1,000-event batches cost one insert of a dozen blobs. `next` (the cursor
 * the next entry gets) is persisted in `views.feed_next` so cursors stay monotonic even when every row aged out.
 */
export class FeedRepo {
  readonly #db: Database.Database;
  readonly #num: number;
  readonly #ins: Database.Statement;
  readonly #range: Database.Statement;
  readonly #oldest: Database.Statement;
  #next: number;
  #commitsSincePrune = 0;
  #lastPrune = 0;

  constructor(db: Database.Database, num: number, next: number) {
    this.#db = db;
    this.#num = num;
    createFeedTable(db, num);
    const t = feedTable(num);
    this.#ins = db.prepare(`INSERT INTO ${t} VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
    // From the row holding cursor ?+1 on: two seeks on the primary key, however long the log.
    this.#range = db
      .prepare(`SELECT * FROM ${t} WHERE first >= (SELECT coalesce(max(first), 0) FROM ${t} WHERE first <= ? + 1) ORDER BY first LIMIT ?`)
      .raw(true);
    this.#oldest = db.prepare(`SELECT min(first) FROM ${t}`).pluck();
    const top = db.prepare(`SELECT max(first + count) FROM ${t}`).pluck().get() as number | null;
    this.#next = Math.max(next, top ?? 1, 1);
  }

  /** After a failed (rolled back) commit: the cursor counter goes back to what the database holds. */
  resync(): void {
    const stored = this.#db.prepare(`SELECT feed_next FROM views WHERE num = ?`).pluck().get(this.#num) as number | undefined;
    const top = this.#db.prepare(`SELECT max(first + count) FROM ${feedTable(this.#num)}`).pluck().get() as number | null;
    this.#next = Math.max(stored ?? 1, top ?? 1, 1);
  }

  /** Cursor the next entry will get. */
  get next(): number {
    return this.#next;
  }

  /** Smallest `since` a reader may ask for: entries after it are all still kept. */
  oldestSince(): number {
    const first = this.#oldest.get() as number | null;
    return (first ?? this.#next) - 1;
  }

  /** Writes the buffer's entries (call inside the commit's transaction); returns them with cursors, taking the buffer's columns. */
  write(b: ChangeBuffer, at: number, retention: FeedRetention): CommittedChanges | null {
    const n = b.length;
    if (n === 0) return null;
    const first = this.#next;
    this.#ins.run(
      first, n, at, ...encodeFeedBlobs(b));
    this.#next = first + n;
    if (++this.#commitsSincePrune >= PRUNE_EVERY_COMMITS || at - this.#lastPrune > PRUNE_EVERY_MS) this.prune(at, retention);
    return CommittedChanges.take(b, first, at);
  }

  /** Drops rows past either retention bound (whole rows: a row holds one commit). */
  prune(now: number, r: FeedRetention): void {
    const t = feedTable(this.#num);
    const keepFrom = this.#next - r.entries;
    // Both deletes walk the primary key from the oldest row (commit times grow with it), never the whole log.
    this.#db.prepare(`DELETE FROM ${t} WHERE first < ? AND first + count <= ?`).run(keepFrom, keepFrom);
    this.#db
      .prepare(`DELETE FROM ${t} WHERE first IN (SELECT first FROM ${t} ORDER BY first LIMIT ${PRUNE_MAX_ROWS}) AND at < ?`)
      .run(now - r.hours * 3_600_000);
    this.#commitsSincePrune = 0;
    this.#lastPrune = now;
  }

  /**
   * Entries with cursor > `since` in order, at most `limit` accepted by `keep`, examining at most `maxScan`
   * entries. `next` is the cursor to resume from: past everything examined, accepted or not, so a filter
   * never breaks paging.
   */
  read(since: number, limit: number, keep: (r: ChangeRecord) => boolean, maxScan: number): { records: ChangeRecord[]; next: number } {
    const acc = { records: [] as ChangeRecord[], next: since, scanned: 0 };
    for (let from = since; ; ) {
      const rows = (this.#range.all(from, 64) as FeedRow[]).filter((r) => r[0] + r[1] - 1 > from);
      if (rows.length === 0) break;
      if (collectFromRows(rows, since, limit, keep, maxScan, acc)) break;
      const last = rows[rows.length - 1]!;
      from = last[0] + last[1] - 1;
    }
    return { records: acc.records, next: Math.max(acc.next, since) };
  }

  /** Empties the log (tests); cursors keep counting. */
  clear(): void {
    this.#db.prepare(`DELETE FROM ${feedTable(this.#num)}`).run();
  }
}
