// Change-feed rows <-> blobs, shared by the SQLite and PostgreSQL stores: one row per commit, entries as columns.

import type { ChangeBuffer } from '../../changes/change-buffer.js';
import { CommittedChanges } from '../../changes/committed.js';

/** Column order after (first, count, at). */
export const FEED_COLUMNS = ['ops', 'bits', 'srcs', 'agents', 'sizes', 'mtimes', 'ks', 'uids', 'gids', 'modes', 'ctimes', 'paths'] as const;
export type FeedBlobs = [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, string];
/** A stored row: [first, count, at, ...FeedBlobs]. */
export type FeedRow = [number, number, number, ...FeedBlobs];

const buf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function copyInto<T extends Float64Array | Uint32Array | Uint16Array>(b: Buffer, C: (new (n: number) => T) & { BYTES_PER_ELEMENT: number }): T {
  const a = new C(b.length / C.BYTES_PER_ELEMENT);
  b.copy(Buffer.from(a.buffer));
  return a;
}

export function encodeFeedBlobs(b: ChangeBuffer): FeedBlobs {
  return [
    buf(Uint8Array.from(b.ops)), buf(Uint8Array.from(b.bits)), buf(Uint8Array.from(b.srcs)), buf(Uint16Array.from(b.agents)),
    buf(Float64Array.from(b.sizes)), buf(Float64Array.from(b.mtimes)), buf(Uint8Array.from(b.ks)),
    buf(Uint32Array.from(b.uids)), buf(Uint32Array.from(b.gids)), buf(Uint16Array.from(b.modes)), buf(Float64Array.from(b.ctimes)),
    b.paths.join('\0'),
  ];
}

export function decodeFeedRow(r: FeedRow): CommittedChanges {
  const n = r[1];
  const u8 = (b: Buffer) => Array.from(b.subarray(0, n));
  return new CommittedChanges(r[0], r[2], {
    ops: u8(r[3]),
    bits: u8(r[4]),
    srcs: u8(r[5]),
    agents: Array.from(copyInto(r[6], Uint16Array)),
    sizes: Array.from(copyInto(r[7], Float64Array)),
    mtimes: Array.from(copyInto(r[8], Float64Array)),
    ks: u8(r[9]),
    uids: Array.from(copyInto(r[10], Uint32Array)),
    gids: Array.from(copyInto(r[11], Uint32Array)),
    modes: Array.from(copyInto(r[12], Uint16Array)),
    ctimes: Array.from(copyInto(r[13], Float64Array)),
    paths: r[14].split('\0'),
  });
}

/**
 * Entries with cursor > `since` from rows in `first` order, at most `limit` accepted by `keep`, at most
 * `maxScan` examined. Returns whether it stopped early (`full`) so a caller paging rows knows to stop.
 */
export function collectFromRows(
  rows: readonly FeedRow[],
  since: number,
  limit: number,
  keep: (r: ReturnType<CommittedChanges['record']>) => boolean,
  maxScan: number,
  acc: { records: ReturnType<CommittedChanges['record']>[]; next: number; scanned: number },
): boolean {
  for (const row of rows) {
    const c = decodeFeedRow(row);
    for (let i = Math.max(0, since + 1 - c.first); i < c.length; i++) {
      const rec = c.record(i);
      acc.next = rec.cursor;
      acc.scanned++;
      if (keep(rec)) acc.records.push(rec);
      if (acc.records.length >= limit || acc.scanned >= maxScan) return true;
    }
  }
  return false;
}
