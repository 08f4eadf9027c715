// Node columns <-> SQLite blobs: chunk checkpoints and per-commit log records (native byte order, names joined by NUL).

import type Database from 'better-sqlite3';
import { F_LIVE, F_SUSPECT, NO_NODE, NodeTable, PERSISTED_FLAGS } from '../tree/node-table.js';
import { NO_ID, NO_MODE } from '../tree/node-meta.js';
import { chunkTable, createNodeTables, logTable } from './schema.js';

const COLS = 'parent, flags, size, mtime, confirmed, s_remaining, s_mtime, names, ks, uid, gid, mode, ctime, agent';

export const CHUNK_SHIFT = 12;
export const CHUNK = 1 << CHUNK_SHIFT;

type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;

/** A view of `count` elements of typed array `a` from `start` as a Buffer (no copy). */
function bytes(a: Column, start: number, count: number): Buffer {
  return Buffer.from(a.buffer, a.byteOffset + start * a.BYTES_PER_ELEMENT, count * a.BYTES_PER_ELEMENT);
}

/** Copies a blob into typed array `a` at element `start` (blobs need not be aligned, so copy bytes). */
function into(blob: Buffer, a: Column, start: number): void {
  blob.copy(Buffer.from(a.buffer, a.byteOffset + start * a.BYTES_PER_ELEMENT, blob.length));
}

function aligned<T extends Int32Array | Uint32Array | Uint16Array | Float64Array>(blob: Buffer, C: (new (n: number) => T) & { BYTES_PER_ELEMENT: number }): T {
  const a = new C(blob.length / C.BYTES_PER_ELEMENT);
  into(blob, a, 0);
  return a;
}

type Stmt = Database.Statement;
type Blob = Buffer | null;
/** count, ids, then COLS (metadata blobs are null in rows written before schema 3). */
type LogRow = [number, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, string, Blob, Blob, Blob, Blob, Blob, Blob];
/** chunk, count, then COLS. */
type ChunkRow = [number, number, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, string, Blob, Blob, Blob, Blob, Blob, Blob];

/**
 * Writes: every commit appends one log row with the touched nodes' records; when the log holds more
 * records than a threshold, the chunks those records fall in are rewritten from memory and the log is
 * emptied (same transaction). Reads: chunks, then the log replayed in order.
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

  /** Appends the records of `ids` (call inside the commit's transaction); `mono` turns suspect expiries into remaining times. */
  write(t: NodeTable, ids: Iterable<number>, mono: number): void {
    const list = [...ids];
    const n = list.length;
    if (n === 0) return;
    const id = new Int32Array(n);
    const parent = new Int32Array(n);
    const flags = new Uint8Array(n);
    const size = new Float64Array(n);
    const mtime = new Float64Array(n);
    const confirmed = new Float64Array(n);
    const sRem = new Float64Array(n);
    const sMtime = new Float64Array(n);
    const names: string[] = new Array(n);
    const ks = new Uint8Array(n);
    const uid = new Uint32Array(n).fill(NO_ID);
    const gid = new Uint32Array(n).fill(NO_ID);
    const mode = new Uint16Array(n).fill(NO_MODE);
    const ctime = new Float64Array(n).fill(NaN);
    const agent = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const x = list[i]!;
      id[i] = x;
      this.#dirty.add(x >> CHUNK_SHIFT);
      if (t.isLive(x)) {
        parent[i] = t.parent[x]!;
        flags[i] = t.flags[x]! & PERSISTED_FLAGS;
        size[i] = t.size[x]!;
        mtime[i] = t.mtime[x]!;
        confirmed[i] = t.confirmed[x]!;
        if (t.flags[x]! & F_SUSPECT) {
          sRem[i] = Math.max(0, t.sExpiry[x]! - mono);
          sMtime[i] = t.sMtime[x]!;
        }
        names[i] = t.names[x]!;
        ks[i] = t.ks[x]!;
        uid[i] = t.uid[x]!;
        gid[i] = t.gid[x]!;
        mode[i] = t.mode[x]!;
        ctime[i] = t.ctime[x]!;
        agent[i] = t.agent[x]!;
      } else {
        parent[i] = NO_NODE;
        names[i] = '';
      }
    }
    const info = this.#insLog.run(
      n,
      bytes(id, 0, n),
      bytes(parent, 0, n),
      bytes(flags, 0, n),
      bytes(size, 0, n),
      bytes(mtime, 0, n),
      bytes(confirmed, 0, n),
      bytes(sRem, 0, n),
      bytes(sMtime, 0, n),
      names.join('\0'),
      bytes(ks, 0, n),
      bytes(uid, 0, n),
      bytes(gid, 0, n),
      bytes(mode, 0, n),
      bytes(ctime, 0, n),
      bytes(agent, 0, n),
    );
    this.#lastSeq = Number(info.lastInsertRowid);
    this.#appended = true;
    this.#logRecords += n;
    if (this.#logRecords >= Math.max(NodeStore.minCheckpointRecords, t.live >> 2)) this.checkpoint(t, mono);
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
    for (const c of chunks) {
      const start = c << CHUNK_SHIFT;
      const count = Math.min(CHUNK, t.hwm - start);
      if (count <= 0) {
        this.#delChunk.run(c);
        continue;
      }
      const names: string[] = new Array(count);
      const flags = new Uint8Array(count);
      const sRem = new Float64Array(count);
      for (let k = 0; k < count; k++) {
        const x = start + k;
        names[k] = t.names[x] ?? '';
        flags[k] = t.flags[x]! & PERSISTED_FLAGS;
        if (t.flags[x]! & F_SUSPECT) sRem[k] = Math.max(0, t.sExpiry[x]! - mono);
      }
      this.#upChunk.run(
        c,
        count,
        bytes(t.parent, start, count),
        flags,
        bytes(t.size, start, count),
        bytes(t.mtime, start, count),
        bytes(t.confirmed, start, count),
        bytes(sRem, 0, count),
        bytes(t.sMtime, start, count),
        names.join('\0'),
        bytes(t.ks, start, count),
        bytes(t.uid, start, count),
        bytes(t.gid, start, count),
        bytes(t.mode, start, count),
        bytes(t.ctime, start, count),
        bytes(t.agent, start, count),
      );
    }
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
    const meta = db.prepare(`SELECT max(chunk * ${CHUNK} + count) AS hwm, count(*) AS chunks FROM ${chunkTable(this.#num)}`).get() as { hwm: number | null };
    const logs = db
      .prepare(`SELECT count, ids, ${COLS} FROM ${logTable(this.#num)} ORDER BY seq`)
      .raw(true)
      .all() as LogRow[];
    let hwm = meta.hwm ?? 0;
    const decoded = logs.map((r) => {
      const ids = aligned(r[1], Int32Array);
      for (const x of ids) if (x + 1 > hwm) hwm = x + 1;
      return r;
    });
    // Headroom so the first inserts after a restart do not reallocate every column at once.
    const t = new NodeTable(Math.max(16, Math.ceil(hwm * 1.25)), 64);
    const names = t.names;
    if (hwm > 0) names.length = hwm;
    const rows = db
      .prepare(`SELECT chunk, count, ${COLS} FROM ${chunkTable(this.#num)} ORDER BY chunk`)
      .raw(true);
    for (const r of rows.iterate() as IterableIterator<ChunkRow>) {
      const start = r[0] << CHUNK_SHIFT;
      into(r[2], t.parent, start);
      into(r[3], t.flags, start);
      into(r[4], t.size, start);
      into(r[5], t.mtime, start);
      into(r[6], t.confirmed, start);
      into(r[7], t.sExpiry, start);
      into(r[8], t.sMtime, start);
      const parts = r[9].split('\0');
      for (let k = 0; k < r[1]; k++) names[start + k] = parts[k]!;
      // Null in a schema-2 row: the columns keep their "not reported" fill.
      if (r[10] !== null) {
        into(r[10], t.ks, start);
        into(r[11]!, t.uid, start);
        into(r[12]!, t.gid, start);
        into(r[13]!, t.mode, start);
        into(r[14]!, t.ctime, start);
        into(r[15]!, t.agent, start);
      }
    }
    this.#dirty.clear();
    this.#logRecords = 0;
    for (const r of decoded) {
      const n = r[0];
      const ids = aligned(r[1], Int32Array);
      const parent = aligned(r[2], Int32Array);
      const flags = r[3];
      const size = aligned(r[4], Float64Array);
      const mtime = aligned(r[5], Float64Array);
      const confirmed = aligned(r[6], Float64Array);
      const sRem = aligned(r[7], Float64Array);
      const sMtime = aligned(r[8], Float64Array);
      const parts = r[9].split('\0');
      const hasMeta = r[10] !== null;
      const ks = r[10];
      const uid = hasMeta ? aligned(r[11]!, Uint32Array) : null;
      const gid = hasMeta ? aligned(r[12]!, Uint32Array) : null;
      const mode = hasMeta ? aligned(r[13]!, Uint16Array) : null;
      const ctime = hasMeta ? aligned(r[14]!, Float64Array) : null;
      const agent = hasMeta ? aligned(r[15]!, Uint16Array) : null;
      for (let i = 0; i < n; i++) {
        const x = ids[i]!;
        if (hasMeta) {
          t.ks[x] = ks![i]!;
          t.uid[x] = uid![i]!;
          t.gid[x] = gid![i]!;
          t.mode[x] = mode![i]!;
          t.ctime[x] = ctime![i]!;
          t.agent[x] = agent![i]!;
        } else t.clearMeta(x);
        t.parent[x] = parent[i]!;
        t.flags[x] = flags[i]!;
        t.size[x] = size[i]!;
        t.mtime[x] = mtime[i]!;
        t.confirmed[x] = confirmed[i]!;
        t.sExpiry[x] = sRem[i]!;
        t.sMtime[x] = sMtime[i]!;
        names[x] = parts[i]!;
        this.#dirty.add(x >> CHUNK_SHIFT);
      }
      this.#logRecords += n;
    }
    // sExpiry held remaining times so far: re-arm them on this process's monotonic clock.
    for (let x = 0; x < hwm; x++) {
      if (names[x] === undefined) names[x] = '';
      if ((t.flags[x]! & F_LIVE) === 0) t.flags[x] = 0;
      if (t.flags[x]! & F_SUSPECT) t.sExpiry[x] = mono + t.sExpiry[x]!;
    }
    return { table: t, hwm };
  }
}
