// Node columns <-> SQLite blobs: chunk checkpoints and per-commit log records (native byte order, names joined by NUL).

import type Database from 'better-sqlite3';
import type { NodeTable } from '../tree/node-table.js';
import { CHUNK, CHUNK_SHIFT, decodeNodes, encodeChunk, encodeLogRecord, logHwm, NODE_COLUMNS, type ChunkRow, type LogRow } from './codec/node-blobs.js';
import { chunkTable, createNodeTables, logTable } from './schema.js';

export { CHUNK, CHUNK_SHIFT };
const COLS = NODE_COLUMNS.join(', ');

type Stmt = Database.Statement;

/**
 * Writes: every commit appends one log row with the touched nodes' records (except the chunks it fills,
 * written whole: #wholeChunks); when the log holds more records than a threshold, the chunks those
 * records fall in are rewritten from memory and the log is emptied (same transaction). Reads: chunks,
 * then the log replayed in order.
 *
 * Another process may open the same file (`fustor-fusion keys ...` while the daemon runs). A fold
 * rewrites chunks from this process's memory and empties the log, so it is only done when memory holds
 * everything on disk: the fold generation (bumped by every fold and wipe) and the last log seq are what
 * this store last read or wrote. Otherwise a stale copy would fold over, and delete, rows the daemon
 * acknowledged meanwhile — lost at its next crash.
 */
export class NodeStore {
  /** Log records that trigger a checkpoint (at least; a quarter of the live nodes when larger). Tests lower it. */
  static minCheckpointRecords = 65_536;
  readonly #insLog: Stmt;
  readonly #upChunk: Stmt;
  readonly #delChunk: Stmt;
  readonly #clearLog: Stmt;
  readonly #maxSeq: Stmt;
  readonly #getGen: Stmt;
  readonly #setGen: Stmt;
  readonly #db: Database.Database;
  readonly #num: number;
  #dirty = new Set<number>();
  #logRecords = 0;
  /** Fold generation and highest log seq this store has seen on disk (read at load or written since). */
  #gen = 0;
  #lastSeq = 0;
  /** This store has appended log rows: the one writer (the daemon), whose memory is the truth. */
  #appended = false;

  constructor(db: Database.Database, num: number) {
    this.#db = db;
    this.#num = num;
    createNodeTables(db, num);
    this.#insLog = db.prepare(
      `INSERT INTO ${logTable(num)} (count, ids, ${COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
    );
    this.#upChunk = db.prepare(
      `INSERT OR REPLACE INTO ${chunkTable(num)} (chunk, count, ${COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
    );
    this.#delChunk = db.prepare(`DELETE FROM ${chunkTable(num)} WHERE chunk = ?`);
    this.#clearLog = db.prepare(`DELETE FROM ${logTable(num)}`);
    this.#maxSeq = db.prepare(`SELECT coalesce(max(seq), 0) FROM ${logTable(num)}`).pluck();
    this.#getGen = db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck();
    this.#setGen = db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`);
  }

  #genKey(): string {
    return `node_fold_gen_${this.#num}`;
  }

  #diskGen(): number {
    return Number(this.#getGen.get(this.#genKey()) ?? 0);
  }

  #bumpGen(): void {
    this.#gen = this.#diskGen() + 1;
    this.#setGen.run(this.#genKey(), String(this.#gen));
  }

  /**
   * Writes the records of nodes `list` (call inside the commit's transaction); `mono` turns suspect expiries into
   * remaining times. Chunks the commit fills (#wholeChunks) are written whole; the rest goes to the log.
   */
  write(t: NodeTable, list: readonly number[], mono: number): void {
    if (list.length === 0) return;
    const whole = this.#wholeChunks(t, list);
    let logged = list;
    if (whole !== null) {
      for (const c of whole) this.#writeChunk(t, c, mono);
      logged = list.filter((x) => !whole.has(x >> CHUNK_SHIFT));
      // Chunks changed on disk outside the log: a second opener's copy no longer holds the disk, and
      // the fold generation is how it learns that (see the class comment).
      this.#bumpGen();
    }
    const n = logged.length;
    if (n > 0) {
      for (const x of logged) this.#dirty.add(x >> CHUNK_SHIFT);
      const rec = encodeLogRecord(t, logged, mono);
      const info = this.#insLog.run(rec.count, rec.ids, ...rec.cols);
      this.#lastSeq = Number(info.lastInsertRowid);
      this.#appended = true;
      this.#logRecords += n;
    }
    if (this.#logRecords >= Math.max(NodeStore.minCheckpointRecords, t.live >> 2)) this.checkpoint(t, mono);
  }

  /**
   * The chunks this commit writes whole instead of logging: those it touches in at least half of their
   * allocated nodes (a snapshot filling a view) and that no log record touches yet. Why: a logged record
   * is written twice, in the log and again by the fold; a fresh snapshot's nodes were a quarter of
   * Fusion's commit time (docs/benchmarks.md, P3 fifth pass). Why "no log record": at load the log is
   * replayed over the chunks, so an older record of a chunk written since would undo it. And only while
   * memory is known to hold everything on disk (the fold's own condition, see the class comment):
   * otherwise everything goes through the log.
   */
  #wholeChunks(t: NodeTable, list: readonly number[]): Set<number> | null {
    if (list.length < CHUNK / 2) return null;
    const touched = new Map<number, number>();
    for (const x of list) {
      const c = x >> CHUNK_SHIFT;
      touched.set(c, (touched.get(c) ?? 0) + 1);
    }
    let whole: Set<number> | null = null;
    for (const [c, k] of touched) {
      const allocated = Math.min(CHUNK, t.hwm - (c << CHUNK_SHIFT));
      if (!this.#dirty.has(c) && allocated > 0 && k * 2 >= allocated) (whole ??= new Set()).add(c);
    }
    if (whole === null || this.#diskGen() !== this.#gen || Number(this.#maxSeq.get()) !== this.#lastSeq) return null;
    return whole;
  }

  #writeChunk(t: NodeTable, c: number, mono: number): void {
    const chunk = encodeChunk(t, c, mono);
    if (chunk === null) this.#delChunk.run(c);
    else this.#upChunk.run(c, chunk.count, ...chunk.cols);
  }

  get pendingLogRecords(): number {
    return this.#logRecords;
  }

  /**
   * Rewrites the chunks the log touched and empties the log (call inside a transaction). Returns false
   * (and leaves disk alone: the log stays complete) when another process changed the node storage since
   * this store read it.
   */
  checkpoint(t: NodeTable, mono: number): boolean {
    if (this.#logRecords === 0 && this.#dirty.size === 0) return true;
    const seq = Number(this.#maxSeq.get());
    let chunks: Iterable<number> = this.#dirty;
    if (this.#diskGen() !== this.#gen || seq !== this.#lastSeq) {
      // Someone else folded. Only the writer, whose last append is still the newest row, knows every
      // record: it rewrites every chunk from memory. A reader's copy is stale: no fold.
      if (!this.#appended || seq !== this.#lastSeq) return false;
      chunks = Array.from({ length: Math.ceil(t.hwm / CHUNK) }, (_, c) => c);
      this.#db.prepare(`DELETE FROM ${chunkTable(this.#num)} WHERE chunk >= ?`).run(Math.ceil(t.hwm / CHUNK));
    }
    for (const c of chunks) this.#writeChunk(t, c, mono);
    this.#clearLog.run();
    this.#dirty.clear();
    this.#logRecords = 0;
    this.#lastSeq = 0;
    this.#bumpGen();
    return true;
  }

  /** Empties the view's node storage (reset). */
  wipe(): void {
    this.#db.prepare(`DELETE FROM ${chunkTable(this.#num)}`).run();
    this.#clearLog.run();
    this.#dirty.clear();
    this.#logRecords = 0;
    this.#lastSeq = 0;
    this.#bumpGen();
  }

  /** Reads chunks and replays the log (one read transaction: a consistent snapshot even while another process writes). */
  read(mono: number): { table: NodeTable; hwm: number } {
    let out!: { table: NodeTable; hwm: number };
    this.#db.transaction(() => {
      out = this.#read(mono);
    })();
    return out;
  }

  /** Reads chunks and replays the log into a fresh table; returns it with hwm set but nothing linked. */
  #read(mono: number): { table: NodeTable; hwm: number } {
    const db = this.#db;
    this.#gen = this.#diskGen();
    this.#lastSeq = Number(this.#maxSeq.get());
    this.#appended = false;
    const meta = db.prepare(`SELECT max(chunk * ${CHUNK} + count) AS hwm FROM ${chunkTable(this.#num)}`).get() as { hwm: number | null };
    // Streamed, never all rows at once: the log may hold a quarter of the view's records, whose blobs,
    // held while decoding, stay in the restarted process's RSS.
    // One statement runs at a time on a connection: each iterator is opened when the last is done.
    const idHwm = logHwm(db.prepare(`SELECT ids FROM ${logTable(this.#num)}`).pluck().iterate() as IterableIterator<Buffer>);
    const chunks = db.prepare(`SELECT chunk, count, ${COLS} FROM ${chunkTable(this.#num)} ORDER BY chunk`).raw(true).iterate() as IterableIterator<ChunkRow>;
    const logStmt = db.prepare(`SELECT count, ids, ${COLS} FROM ${logTable(this.#num)} ORDER BY seq`).raw(true);
    const logs: Iterable<LogRow> = { [Symbol.iterator]: () => logStmt.iterate() as IterableIterator<LogRow> };
    const d = decodeNodes(chunks, meta.hwm ?? 0, logs, idHwm, mono);
    this.#dirty = d.dirty;
    this.#logRecords = d.logRecords;
    return { table: d.table, hwm: d.hwm };
  }
}
