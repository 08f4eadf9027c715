// When the node log is folded into chunks: shared by the SQLite and PostgreSQL stores.
//
// A fold rewrites every chunk the log touched. Folding once the log held a quarter of the live
// nodes rewrote the whole table about four times over while a snapshot grew it from empty (each
// fold at 4/3 of the last), and that rewrite was a third of Fusion's commit time in P3. Folding once
// the log holds as many records as there are live nodes bounds the rewrite to about twice the
// final size, and a restart after a crash replays at most one view's worth of log (P8 has room:
// docs/benchmarks.md).

/** Fewer records than this are never folded (small views keep a short log). */
export const MIN_FOLD_RECORDS = 65_536;

export function foldDue(logRecords: number, live: number, minRecords = MIN_FOLD_RECORDS): boolean {
  return logRecords >= Math.max(minRecords, live);
}
