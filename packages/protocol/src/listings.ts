// Compact scan batches (docs/api.md, "Compact scan batches"): per-directory listings instead of one object per entry.
//
// A listing is one directory: its view path, mtime and observation time once, optionally its own entry
// (`self`: parent and metadata), then its children as rows of ROW_WIDTH values. Every listing stands for
// the upsert events of the JSON form (listingEvents), so Fusion applies a compact batch exactly as the
// equivalent JSON batch. This module holds the layout and the two conversions; the MessagePack codec
// and its validator are in listing-codec.ts (a separate entry point, so only agent and Fusion load it).

import { clampWireTime, MAX_TIME_MS, MIN_TIME_MS, NODE_KINDS, type FileEvent, type MessageSource, type NodeKind, type UpsertEvent } from './schemas.js';

/** Scan batch encodings an agent may offer at session creation; Fusion answers the one to use. */
export const SCAN_ENCODINGS = ['json', 'listings+msgpack'] as const;
export type ScanEncoding = (typeof SCAN_ENCODINGS)[number];
/** Content-Type of a compact scan batch (MessagePack). */
export const LISTINGS_CONTENT_TYPE = 'application/vnd.fustor.listings+msgpack';
/** First element of a compact batch: the layout version. */
export const LISTINGS_VERSION = 1;

/** Values per child row, and their offsets. */
export const ROW_WIDTH = 8;
export const R_NAME = 0;
/** Index into NODE_KINDS (0 file, 1 dir, 2 symlink, 3 fifo, 4 socket, 5 device). */
export const R_KIND = 1;
export const R_SIZE = 2;
export const R_MTIME = 3;
export const R_UID = 4;
export const R_GID = 5;
export const R_MODE = 6;
export const R_CTIME = 7;

/** A directory's own entry: [parent_path, parent_mtime_ms, uid, gid, mode, ctime_ms, audit_skipped]; null = field absent. */
export type ListingSelf = [
  parentPath: string | null,
  parentMtimeMs: number | null,
  uid: number | null,
  gid: number | null,
  mode: number | null,
  ctimeMs: number | null,
  auditSkipped: boolean | null,
];

/**
 * [dir, mtime_ms, observed_at_ms, self, ...rows]: `self` null when the directory's own entry is not in
 * this batch (its listing continues from an earlier one); rows are flat, ROW_WIDTH values each
 * (name, kind, size, mtime_ms, uid, gid, mode, ctime_ms; null = absent, except name, kind and mtime_ms).
 */
export type Listing = [dir: string, mtimeMs: number, observedAtMs: number, self: ListingSelf | null, ...rows: Array<string | number | null>];

export const LISTING_HEAD = 4;

/**
 * Rows of one listing already MessagePack-encoded (the agent's native directory job packs them): `count`
 * rows of ROW_WIDTH values back to back, as they follow the listing's head on the wire, so the agent
 * sends them without building them as values. `owners` holds their distinct uid, gid pairs.
 * listing-codec.ts encodes a listing with them (encodeListings) and decodes them (decodeRows).
 */
export interface PackedRows {
  readonly bytes: Uint8Array;
  readonly count: number;
  readonly owners: Uint32Array;
}

/** Code of a node kind in rows (its index in NODE_KINDS). */
export const KIND_CODES: Readonly<Record<NodeKind, number>> = Object.freeze(
  Object.fromEntries(NODE_KINDS.map((k, i) => [k, i])) as Record<NodeKind, number>,
);

/** Number of events a listing stands for. */
export function listingCount(l: Listing): number {
  return (l[3] === null ? 0 : 1) + (l.length - LISTING_HEAD) / ROW_WIDTH;
}

export function childPath(dir: string, name: string): string {
  return dir === '/' ? '/' + name : dir + '/' + name;
}

/** The upsert events a listing stands for, in order (the directory's own entry first). */
export function listingEvents(l: Listing, out: UpsertEvent[] = []): UpsertEvent[] {
  const dir = l[0];
  const mtime = l[1];
  const observed = l[2];
  const self = l[3];
  if (self !== null) {
    const e: UpsertEvent = { op: 'upsert', path: dir, is_dir: true, mtime_ms: mtime, observed_at_ms: observed };
    if (self[0] !== null) e.parent_path = self[0];
    if (self[1] !== null) e.parent_mtime_ms = self[1];
    if (self[6] !== null) e.audit_skipped = self[6];
    e.kind = 'dir';
    if (self[2] !== null) e.uid = self[2];
    if (self[3] !== null) e.gid = self[3];
    if (self[4] !== null) e.mode = self[4];
    if (self[5] !== null) e.ctime_ms = self[5];
    out.push(e);
  }
  for (let i = LISTING_HEAD; i < l.length; i += ROW_WIDTH) {
    const kind = NODE_KINDS[l[i + R_KIND] as number]!;
    const e: UpsertEvent = {
      op: 'upsert', path: childPath(dir, l[i] as string), is_dir: kind === 'dir', mtime_ms: l[i + R_MTIME] as number, observed_at_ms: observed,
      parent_path: dir, parent_mtime_ms: mtime, kind,
    };
    const size = l[i + R_SIZE];
    if (size !== null) e.size = size as number;
    const uid = l[i + R_UID];
    if (uid !== null) e.uid = uid as number;
    const gid = l[i + R_GID];
    if (gid !== null) e.gid = gid as number;
    const mode = l[i + R_MODE];
    if (mode !== null) e.mode = mode as number;
    const ctime = l[i + R_CTIME];
    if (ctime !== null) e.ctime_ms = ctime as number;
    out.push(e);
  }
  return out;
}

/** An event with every field present (absent ones undefined): one shape, reused for every entry. */
function scratchEvent(): UpsertEvent {
  return {
    op: 'upsert', path: '', is_dir: false, size: undefined, mtime_ms: 0, observed_at_ms: undefined, is_atomic_write: undefined,
    parent_path: undefined, parent_mtime_ms: undefined, audit_skipped: undefined, kind: undefined, uid: undefined, gid: undefined,
    mode: undefined, ctime_ms: undefined,
  };
}
const und = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/**
 * The events of `listings` in order, as ONE object refilled for each entry (absent fields undefined):
 * the same values listingEvents gives, without an object per file. For a consumer that uses each
 * event before asking for the next and keeps none of them (the ingest path).
 */
export function listingEventCursor(listings: readonly Listing[]): ListingEventCursor {
  return new ListingEventCursor(listings);
}

/**
 * listingEventCursor's iterable. While iterating, `listing` and `row` say where the event just yielded
 * comes from (row -1: the listing's own entry), so a consumer can treat a listing's rows as a whole
 * (Fusion skips the per-row child lookup when a listing fills an empty directory). One iteration at a
 * time: a new one starts from the first listing again.
 */
export class ListingEventCursor implements Iterable<UpsertEvent> {
  readonly listings: readonly Listing[];
  /** The listing of the last event yielded (undefined before the first and after the last). */
  listing: Listing | undefined = undefined;
  /** Its row index in that listing, or -1 for the listing's own entry. */
  row = -1;

  constructor(listings: readonly Listing[]) {
    this.listings = listings;
  }

  [Symbol.iterator](): Iterator<UpsertEvent> {
    const listings = this.listings;
    const e = scratchEvent();
    const step: IteratorResult<UpsertEvent> = { value: e, done: false };
    let li = 0;
    let i = -1; // -1: the listing's own entry is next
    this.listing = undefined;
    this.row = -1;
    return {
      next: (): IteratorResult<UpsertEvent> => {
        for (;;) {
          const l = listings[li];
          if (l === undefined) {
            this.listing = undefined;
            return { value: undefined, done: true };
          }
          if (i < 0) {
            i = LISTING_HEAD;
            const self = l[3];
            if (self === null) continue;
            this.listing = l;
            this.row = -1;
            e.path = l[0];
            e.is_dir = true;
            e.size = undefined;
            e.mtime_ms = l[1];
            e.observed_at_ms = l[2];
            e.parent_path = und(self[0]);
            e.parent_mtime_ms = und(self[1]);
            e.audit_skipped = und(self[6]);
            e.kind = 'dir';
            e.uid = und(self[2]);
            e.gid = und(self[3]);
            e.mode = und(self[4]);
            e.ctime_ms = und(self[5]);
            return step;
          }
          if (i >= l.length) {
            li++;
            i = -1;
            continue;
          }
          this.listing = l;
          this.row = (i - LISTING_HEAD) / ROW_WIDTH;
          const kind = NODE_KINDS[l[i + R_KIND] as number]!;
          e.path = childPath(l[0], l[i] as string);
          e.is_dir = kind === 'dir';
          e.size = und(l[i + R_SIZE] as number | null);
          e.mtime_ms = l[i + R_MTIME] as number;
          e.observed_at_ms = l[2];
          e.parent_path = l[0];
          e.parent_mtime_ms = l[1];
          e.audit_skipped = undefined;
          e.kind = kind;
          e.uid = und(l[i + R_UID] as number | null);
          e.gid = und(l[i + R_GID] as number | null);
          e.mode = und(l[i + R_MODE] as number | null);
          e.ctime_ms = und(l[i + R_CTIME] as number | null);
          i += ROW_WIDTH;
          return step;
        }
      },
    };
  }
}

const opt = (v: number | undefined): number | null => (v === undefined ? null : v);

/**
 * The listings of a run of upsert events, or null when one of them has no listing form (a delete, a
 * realtime field, an entry without observed_at_ms or kind, a directory entry with a size, a child
 * whose path is not its parent_path + its name): such a batch travels as JSON. Exact both ways:
 * listingEvents of the result gives back events equal to the input.
 */
export function listingsOf(events: readonly FileEvent[]): Listing[] | null {
  const out: Listing[] = [];
  let cur: Listing | null = null;
  for (const e of events) {
    if (e.op !== 'upsert' || e.observed_at_ms === undefined || e.kind === undefined || e.is_atomic_write !== undefined) return null;
    if ((e.kind === 'dir') !== e.is_dir) return null;
    const p = e.parent_path;
    const pm = e.parent_mtime_ms;
    const base = p === undefined ? null : e.path.slice(p === '/' ? 1 : p.length + 1);
    const isRow = p !== undefined && pm !== undefined && e.audit_skipped === undefined && e.path === childPath(p, base!) && base!.length > 0 && !base!.includes('/');
    if (isRow && cur !== null && cur[0] === p && cur[1] === pm && cur[2] === e.observed_at_ms) {
      cur.push(base!, KIND_CODES[e.kind], opt(e.size), e.mtime_ms, opt(e.uid), opt(e.gid), opt(e.mode), opt(e.ctime_ms));
      continue;
    }
    if (e.is_dir && e.kind === 'dir' && e.size === undefined) {
      // A directory's own entry opens its listing (its children follow with parent_path = its path).
      cur = [e.path, e.mtime_ms, e.observed_at_ms, [p ?? null, pm ?? null, opt(e.uid), opt(e.gid), opt(e.mode), opt(e.ctime_ms), e.audit_skipped ?? null]];
      out.push(cur);
      continue;
    }
    if (!isRow) return null;
    cur = [p, pm, e.observed_at_ms, null];
    cur.push(base!, KIND_CODES[e.kind], opt(e.size), e.mtime_ms, opt(e.uid), opt(e.gid), opt(e.mode), opt(e.ctime_ms));
    out.push(cur);
  }
  return out;
}

/**
 * Clamps every time of `listings` into the wire window (clampWireTime), in place: what an agent sends
 * for a file dated 1969 or 2300, so one odd file never gets its batch rejected (as the JSON encoder does).
 */
export function clampListingTimes(listings: readonly Listing[]): void {
  for (const l of listings) {
    l[1] = clampWireTime(l[1]);
    l[2] = clampWireTime(l[2]);
    const self = l[3];
    if (self !== null) {
      if (self[1] !== null) self[1] = clampWireTime(self[1]);
      if (self[5] !== null) self[5] = clampWireTime(self[5]);
    }
    for (let i = LISTING_HEAD; i < l.length; i += ROW_WIDTH) {
      const m = l[i + R_MTIME] as number;
      if (!(m >= MIN_TIME_MS && m <= MAX_TIME_MS)) l[i + R_MTIME] = clampWireTime(m);
      const c = l[i + R_CTIME];
      if (c !== null && !((c as number) >= MIN_TIME_MS && (c as number) <= MAX_TIME_MS)) l[i + R_CTIME] = clampWireTime(c as number);
    }
  }
}

/** Message sources that may travel as listings (realtime always travels as JSON). */
export function listingSourceOk(source: MessageSource): boolean {
  return source !== 'realtime';
}
