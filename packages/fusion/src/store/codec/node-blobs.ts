// Node columns <-> blobs, shared by the SQLite and PostgreSQL stores: chunk checkpoints and per-commit log records.

import { F_LIVE, F_SUSPECT, NO_NODE, NodeTable, PERSISTED_FLAGS } from '../../tree/node-table.js';
import { NO_ID, NO_MODE } from '../../tree/node-meta.js';

export const CHUNK_SHIFT = 12;
export const CHUNK = 1 << CHUNK_SHIFT;

/** Column order of a record after its key (chunk+count, or count+ids); the last six are null in rows written before schema 3. */
export const NODE_COLUMNS = ['parent', 'flags', 'size', 'mtime', 'confirmed', 's_remaining', 's_mtime', 'names', 'ks', 'uid', 'gid', 'mode', 'ctime', 'agent'] as const;

type Blob = Buffer | null;
/** The NODE_COLUMNS values of one record (chunk or log row). */
export type NodeBlobs = [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, string, Blob, Blob, Blob, Blob, Blob, Blob];
/** A stored chunk: [chunk, count, ...NodeBlobs]. */
export type ChunkRow = [number, number, ...NodeBlobs];
/** A stored log record: [count, ids, ...NodeBlobs]. */
export type LogRow = [number, Buffer, ...NodeBlobs];

type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;

/** A view of `count` elements of typed array `a` from `start` as a Buffer (no copy). */
export function bytes(a: Column, start: number, count: number): Buffer {
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

/** The log record of nodes `list` as they are now (freed ids are written as dead); `mono` turns suspect expiries into remaining times. */
export function encodeLogRecord(t: NodeTable, list: readonly number[], mono: number): { count: number; ids: Buffer; cols: NodeBlobs } {
  const n = list.length;
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
  return {
    count: n,
    ids: bytes(id, 0, n),
    cols: [
      bytes(parent, 0, n), bytes(flags, 0, n), bytes(size, 0, n), bytes(mtime, 0, n), bytes(confirmed, 0, n), bytes(sRem, 0, n), bytes(sMtime, 0, n),
      names.join('\0'), bytes(ks, 0, n), bytes(uid, 0, n), bytes(gid, 0, n), bytes(mode, 0, n), bytes(ctime, 0, n), bytes(agent, 0, n),
    ],
  };
}

/** Chunk `c` (ids [c*CHUNK, +CHUNK)) as it is now; null when it lies past the high-water mark (delete it). */
export function encodeChunk(t: NodeTable, c: number, mono: number): { count: number; cols: NodeBlobs } | null {
  const start = c << CHUNK_SHIFT;
  const count = Math.min(CHUNK, t.hwm - start);
  if (count <= 0) return null;
  const names: string[] = new Array(count);
  const flags = new Uint8Array(count);
  const sRem = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const x = start + k;
    names[k] = t.names[x] ?? '';
    flags[k] = t.flags[x]! & PERSISTED_FLAGS;
    if (t.flags[x]! & F_SUSPECT) sRem[k] = Math.max(0, t.sExpiry[x]! - mono);
  }
  return {
    count,
    cols: [
      bytes(t.parent, start, count), Buffer.from(flags.buffer), bytes(t.size, start, count), bytes(t.mtime, start, count), bytes(t.confirmed, start, count),
      bytes(sRem, 0, count), bytes(t.sMtime, start, count), names.join('\0'), bytes(t.ks, start, count), bytes(t.uid, start, count),
      bytes(t.gid, start, count), bytes(t.mode, start, count), bytes(t.ctime, start, count), bytes(t.agent, start, count),
    ],
  };
}

export interface DecodedNodes {
  table: NodeTable;
  /** Ids [0, hwm) are filled; nothing is linked yet (NodeTable.finishBulkLoad). */
  hwm: number;
  /** Chunks the log touched (a fold must rewrite them). */
  dirty: Set<number>;
  logRecords: number;
}

/** One past the highest node id in the log records whose `ids` blobs these are (the table must hold them). */
export function logHwm(idBlobs: Iterable<Buffer>): number {
  let hwm = 0;
  for (const b of idBlobs) {
    const ids = aligned(b, Int32Array);
    for (const x of ids) if (x + 1 > hwm) hwm = x + 1;
  }
  return hwm;
}

/**
 * Chunks, then the log replayed in order, into a fresh table; suspect remaining times re-armed on `mono`.
 * `logs` is iterated once and no row is kept, so a store can stream them; `logIdHwm` is logHwm over
 * the same rows.
 */
export function decodeNodes(chunks: Iterable<ChunkRow>, chunkHwm: number, logs: Iterable<LogRow>, logIdHwm: number, mono: number): DecodedNodes {
  const hwm = Math.max(chunkHwm, logIdHwm);
  // Headroom so the first inserts after a restart do not reallocate every column at once.
  const t = new NodeTable(Math.max(16, Math.ceil(hwm * 1.25)), 64);
  const names = t.names;
  if (hwm > 0) names.length = hwm;
  for (const r of chunks) {
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
  const dirty = new Set<number>();
  let logRecords = 0;
  for (const r of logs) {
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
      dirty.add(x >> CHUNK_SHIFT);
    }
    logRecords += n;
  }
  // sExpiry held remaining times so far: re-arm them on this process's monotonic clock.
  for (let x = 0; x < hwm; x++) {
    if (names[x] === undefined) names[x] = '';
    if ((t.flags[x]! & F_LIVE) === 0) t.flags[x] = 0;
    if (t.flags[x]! & F_SUSPECT) t.sExpiry[x] = mono + t.sExpiry[x]!;
  }
  return { table: t, hwm, dirty, logRecords };
}
