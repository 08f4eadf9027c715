// What the view engine needs from a storage backend (SQLite or PostgreSQL): load a view, write commits in order, read its feed.

import type { ViewState, Thresholds } from '../arbitration/view-state.js';
import type { ChangeRecord, CommittedChanges } from '../changes/committed.js';
import type { CommitTx, EngineClocks, FeedBounds } from '../contract.js';


export interface CommitHooks {
  /** Inside the commit (same transaction): may add rows through `tx`; throwing aborts the commit. */
  inTx(changes: CommittedChanges, tx: CommitTx): void;
  /** Once the commit is durable, in commit order: fan-out to live readers. */
  after(changes: CommittedChanges): void;
}

export type WarnFn = (msg: string, fields?: Record<string, unknown>) => void;

/**
 * One view's storage. `commit` is called with the state already mutated in memory; it writes what the
 * state's journal, touched nodes and change buffer name, plus the session's batch_seq, then clears them.
 *
 * - SQLite writes synchronously in one transaction: when `commit` returns the change is durable, and a
 *   throw means nothing was written (the engine reloads the view from disk).
 * - PostgreSQL queues the commit and writes commits strictly in order; `durable()` settles when every
 *   commit so far is written. A failed write poisons the queue: `durable()` rejects from then on and the
 *   view must be dropped and loaded again (its memory is ahead of the database).
 */
export interface ViewPersistence {
  readonly num: number;
  load(clocks: EngineClocks, th: Thresholds, warn: WarnFn): ViewState;
  commit(st: ViewState, session: { id: string; seq: number } | undefined, hooks: CommitHooks): CommittedChanges | null;
  durable(): Promise<void>;
  /** Entries after `since` (see FeedRepo.read). */
  readFeed(since: number, limit: number, keep: (r: ChangeRecord) => boolean, maxScan: number): Promise<{ records: ChangeRecord[]; next: number }>;
  feedBounds(): FeedBounds;
  /** A synchronous commit failed: forget what it advanced in memory (cursors) before the state is reloaded. */
  afterFailure(): void;
  /** Folds the node log into the checkpoint on a clean close (best effort). */
  checkpoint(st: ViewState): void;
}
