// MessagePack codec of compact scan batches: the agent packs listings, Fusion unpacks and validates them into events.
//
// Why MessagePack (msgpackr): measured on scan batches of 50 listings × 100 files (bench/encoding.mjs),
// packing from the stat worker's numbers and unpacking to validated events cost about half of
// compact JSON arrays at both ends, and a third of the bytes: times (mtime, ctime) travel as 8-byte
// doubles, so neither side formats or parses 2 numbers of ~18 digits per file. Body layout:
//   [LISTINGS_VERSION, message_source, batch_seq, command_id | null, listing, listing, ...]
// Validation is as strict as the JSON schema's (one bad row rejects the batch, naming it), plus: a row's
// name is one path segment. Only arrays, strings, numbers, booleans and null are accepted anywhere.

import { isUtf8 } from 'node:buffer';
import { Packr, Unpackr } from 'msgpackr';
import { ProtocolValidationError } from './errors.js';
import { viewPathProblem, MAX_PATH_BYTES } from './paths.js';
import {
  isWireSize, isWireTime, MAX_EVENTS_PER_BATCH, MAX_MODE, MAX_PRINCIPAL_ID, MAX_TIME_MS, MESSAGE_SOURCES, MIN_TIME_MS, NODE_KINDS,
  type EventBatch, type MessageSource, type UpsertEvent,
} from './schemas.js';
import { childPath, listingEvents, LISTING_HEAD, LISTINGS_VERSION, ROW_WIDTH, type Listing, type PackedRows } from './listings.js';

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/**
 * The listings of one scan chunk as MessagePack values back to back (chunks of a batch are concatenated).
 * A listing in `packed` is followed by those rows: its array header counts them, its values are the
 * listing's own, then the rows' bytes as they are.
 */
export function encodeListings(listings: readonly Listing[], packed?: ReadonlyMap<Listing, PackedRows>): Buffer {
  if (packed === undefined || packed.size === 0) {
    if (listings.length === 1) return Buffer.from(packr.pack(listings[0]));
    return Buffer.concat(listings.map((l) => packr.pack(l)));
  }
  const parts: Uint8Array[] = [];
  for (const l of listings) {
    const bytes = packr.pack(l);
    const p = packed.get(l);
    if (p === undefined) {
      parts.push(bytes);
      continue;
    }
    parts.push(arrayHeader(l.length + p.count * ROW_WIDTH), bytes.subarray(arrayHeaderLength(bytes[0]!)), p.bytes);
  }
  return Buffer.concat(parts);
}

/** A MessagePack array header for n elements. */
function arrayHeader(n: number): Buffer {
  return n < 16 ? Buffer.from([0x90 | n]) : n < 0x10000 ? Buffer.from([0xdc, n >> 8, n & 0xff]) : Buffer.from([0xdd, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

/** Length of the array header that starts with byte `b` (fixarray, array 16, array 32). */
function arrayHeaderLength(b: number): number {
  if ((b & 0xf0) === 0x90) return 1;
  if (b === 0xdc) return 3;
  if (b === 0xdd) return 5;
  throw new Error(`not a MessagePack array header: 0x${b.toString(16)}`);
}

/** Packed rows back to their values (ROW_WIDTH per row), for the paths that need events or JSON. */
export function decodeRows(p: PackedRows): Array<string | number | null> {
  return p.count === 0 ? [] : (unpackr.unpackMultiple(p.bytes) as Array<string | number | null>);
}

/** encodeListings back to listings (the agent's own bytes, so not validated: use decodeListingBatch for a body). */
export function decodeListings(bytes: Uint8Array): Listing[] {
  return unpackr.unpackMultiple(bytes) as Listing[];
}

export interface ListingBatchHead {
  message_source: MessageSource;
  batch_seq: number;
  command_id?: string | null;
}

/** A compact batch body: the head and `count` listings already encoded in `chunks` (encodeListings outputs). */
export function listingBatchBody(head: ListingBatchHead, chunks: readonly Buffer[], count: number): Buffer {
  // MessagePack array header for 4 + count elements, then the four head values (their 4-array's header dropped).
  const header = arrayHeader(4 + count);
  const values = packr.pack([LISTINGS_VERSION, head.message_source, head.batch_seq, head.command_id ?? null]).subarray(1);
  return Buffer.concat([header, values, ...chunks]);
}

// ---- decoding and validation ----------------------------------------------------------------

const SOURCES = new Set<string>(MESSAGE_SOURCES);

function fail(field: string, problem: string): never {
  throw new ProtocolValidationError(field, problem);
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_PRINCIPAL_ID;
const isMode = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_MODE;

/** Why `name` cannot be one entry of a listing (null: it can). */
function nameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'must be a string';
  if (name.length === 0) return 'must not be empty';
  if (name === '.' || name === '..') return "must not be '.' or '..'";
  if (name.includes('/')) return "must be one path segment (no '/')";
  if (name.includes('\0')) return 'must not contain NUL';
  return null;
}

const P_TIME = `must be a time in ms since 1970-01-01 before 2200-01-01 (${MIN_TIME_MS} … ${MAX_TIME_MS})`;
const P_SIZE = `must be a byte count: an integer from 0 to ${Number.MAX_SAFE_INTEGER}`;
const P_ID = `must be an integer from 0 to ${MAX_PRINCIPAL_ID}`;
const P_MODE = 'must be permission bits (an integer from 0 to 0o7777)';

/** null or a value `ok` accepts, else the batch is rejected naming `field`. */
function optional(v: unknown, field: string, ok: (x: unknown) => boolean, problem: string): void {
  if (v !== null && !ok(v)) fail(field, problem);
}

function checkSelf(self: unknown, source: MessageSource, f: string): void {
  if (!Array.isArray(self) || self.length !== 7) fail(f, 'must be null or [parent_path, parent_mtime_ms, uid, gid, mode, ctime_ms, audit_skipped]');
  const [pp, pm, uid, gid, mode, ctime, skipped] = self as unknown[];
  if (pp !== null) {
    const problem = viewPathProblem(pp);
    if (problem !== null) fail(`${f}.parent_path`, problem);
    if ((pp as string).includes('\uFFFD')) replaced = true;
  }
  optional(pm, `${f}.parent_mtime_ms`, isWireTime, P_TIME);
  if ((pp === null) !== (pm === null)) fail(`${f}.parent_mtime_ms`, 'parent_path and parent_mtime_ms go together');
  if (skipped !== null) {
    if (typeof skipped !== 'boolean') fail(`${f}.audit_skipped`, 'must be a boolean or null');
    if (source !== 'audit') fail(`${f}.audit_skipped`, 'is allowed only on directories in audit batches');
  }
  optional(uid, `${f}.uid`, isId, P_ID);
  optional(gid, `${f}.gid`, isId, P_ID);
  optional(mode, `${f}.mode`, isMode, P_MODE);
  optional(ctime, `${f}.ctime_ms`, isWireTime, P_TIME);
}

/** Set when a string of the batch holds U+FFFD: what the decoder puts for bytes that are not UTF-8. */
let replaced = false;

/** The field of row `r` of listing `li`, built only for an error message (a row is checked a million times a snapshot). */
const rowField = (li: number, r: number, key: string): string => `listings[${li}].rows[${r}].${key}`;

function checkRow(l: unknown[], i: number, dir: string, li: number, r: number): void {
  const name = l[i];
  const np = nameProblem(name);
  if (np !== null) fail(rowField(li, r, 'name'), np);
  if ((name as string).includes('\uFFFD')) replaced = true;
  const len = dir.length + 1 + (name as string).length;
  if (len > MAX_PATH_BYTES / 3 && Buffer.byteLength(childPath(dir, name as string), 'utf8') > MAX_PATH_BYTES) fail(rowField(li, r, 'name'), `makes a path over ${MAX_PATH_BYTES} bytes`);
  const k = l[i + 1];
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= NODE_KINDS.length) fail(rowField(li, r, 'kind'), `must be a kind code from 0 to ${NODE_KINDS.length - 1} (${NODE_KINDS.join(', ')})`);
  if (!isWireTime(l[i + 3])) fail(rowField(li, r, 'mtime_ms'), P_TIME);
  const size = l[i + 2];
  if (size === null) {
    if (k !== 1) fail(rowField(li, r, 'size'), 'is required unless the entry is a directory');
  } else if (!isWireSize(size)) fail(rowField(li, r, 'size'), P_SIZE);
  const uid = l[i + 4];
  if (uid !== null && !isId(uid)) fail(rowField(li, r, 'uid'), P_ID);
  const gid = l[i + 5];
  if (gid !== null && !isId(gid)) fail(rowField(li, r, 'gid'), P_ID);
  const mode = l[i + 6];
  if (mode !== null && !isMode(mode)) fail(rowField(li, r, 'mode'), P_MODE);
  const ctime = l[i + 7];
  if (ctime !== null && !isWireTime(ctime)) fail(rowField(li, r, 'ctime_ms'), P_TIME);
}

/** Lengths of the fixed-size MessagePack types after their type byte (0: not one of them). */
function fixedSize(t: number): number {
  switch (t) {
    case 0xc0: case 0xc2: case 0xc3: return 0;
    case 0xcc: case 0xd0: return 1;
    case 0xcd: case 0xd1: case 0xdc: case 0xde: return 2;
    case 0xca: case 0xce: case 0xd2: case 0xdd: case 0xdf: return 4;
    case 0xcb: case 0xcf: case 0xd3: return 8;
    case 0xd4: return 2;
    case 0xd5: return 3;
    case 0xd6: return 5;
    case 0xd7: return 9;
    case 0xd8: return 17;
    default: return -1;
  }
}

/** True when every str of a (well-formed) MessagePack value holds valid UTF-8: one pass over the bytes. */
function stringsAreUtf8(b: Uint8Array): boolean {
  const n = b.length;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 0;
  while (i < n) {
    const t = b[i++]!;
    // Fixints and the headers of fixmaps/fixarrays (their elements follow inline).
    if (t <= 0x9f || t >= 0xe0) continue;
    let len: number;
    if (t <= 0xbf) len = t & 0x1f;
    else if (t === 0xd9) len = b[i++]!;
    else if (t === 0xda) (len = dv.getUint16(i)), (i += 2);
    else if (t === 0xdb) (len = dv.getUint32(i)), (i += 4);
    else {
      // bin and ext payloads are skipped; everything else has a fixed size.
      if (t === 0xc4) i += 1 + b[i]!;
      else if (t === 0xc5) i += 2 + dv.getUint16(i);
      else if (t === 0xc6) i += 4 + dv.getUint32(i);
      else if (t === 0xc7) i += 2 + b[i]!;
      else if (t === 0xc8) i += 3 + dv.getUint16(i);
      else if (t === 0xc9) i += 5 + dv.getUint32(i);
      else {
        const f = fixedSize(t);
        if (f < 0) return false;
        i += f;
      }
      continue;
    }
    if (!isUtf8(b.subarray(i, i + len))) return false;
    i += len;
  }
  return true;
}

function unpackAll(body: Uint8Array): unknown {
  let v: unknown;
  let end = 0;
  try {
    // A second value after the first is as wrong as trailing bytes after a JSON document.
    const values: unknown[] = [];
    unpackr.unpackMultiple(body, (value: unknown, _start?: number, stop?: number) => {
      values.push(value);
      end = stop ?? body.length;
      return values.length < 2;
    });
    if (values.length !== 1) fail('', `body must be one MessagePack value (found ${values.length})`);
    v = values[0];
  } catch (err) {
    if (err instanceof ProtocolValidationError) throw err;
    fail('', `body is not valid MessagePack: ${(err as Error).message}`);
  }
  if (end !== body.length) fail('', 'body has bytes after its MessagePack value');
  return v;
}

/** A compact batch checked whole (nothing of it is applied before every row passed). */
export interface ListingBatch {
  message_source: MessageSource;
  batch_seq: number;
  command_id?: string;
  listings: Listing[];
  /** Events the listings stand for. */
  count: number;
}

/**
 * Unpacks and validates a compact batch; throws ProtocolValidationError naming the first problem
 * (`listings[2].rows[7].mtime_ms: must be a time …`). Its events: listingEvents (objects) or
 * listingEventCursor (one reused object, for the ingest path).
 */
export function readListingBatch(body: Uint8Array): ListingBatch {
  const v = unpackAll(body);
  replaced = false;
  if (!Array.isArray(v) || v.length < 4) fail('', 'must be an array [version, message_source, batch_seq, command_id, ...listings]');
  if (v[0] !== LISTINGS_VERSION) fail('version', `must be ${LISTINGS_VERSION}`);
  const source = v[1];
  if (typeof source !== 'string' || !SOURCES.has(source)) fail('message_source', `must be one of ${MESSAGE_SOURCES.join(', ')}`);
  const seq = v[2];
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) fail('batch_seq', 'must be an integer >= 0');
  const cid = v[3];
  if (cid !== null && !(typeof cid === 'string' && cid.length >= 1 && cid.length <= 128)) fail('command_id', 'must be null or a string of 1 to 128 characters');
  if (source === 'on_demand' && !cid) fail('command_id', 'is required for on_demand batches');
  const src = source as MessageSource;
  let count = 0;
  for (let li = 4; li < v.length; li++) {
    const l = v[li] as unknown[];
    const f = `listings[${li - 4}]`;
    if (!Array.isArray(l) || l.length < LISTING_HEAD || (l.length - LISTING_HEAD) % ROW_WIDTH !== 0) {
      fail(f, `must be an array [dir, mtime_ms, observed_at_ms, self, ...rows of ${ROW_WIDTH} values]`);
    }
    const dir = l[0];
    const dp = viewPathProblem(dir);
    if (dp !== null) fail(`${f}.dir`, dp);
    if ((dir as string).includes('\uFFFD')) replaced = true;
    if (!isWireTime(l[1])) fail(`${f}.mtime_ms`, P_TIME);
    if (!isWireTime(l[2])) fail(`${f}.observed_at_ms`, P_TIME);
    const rows = (l.length - LISTING_HEAD) / ROW_WIDTH;
    count += rows + (l[3] === null ? 0 : 1);
    if (count > MAX_EVENTS_PER_BATCH) fail('listings', `must hold at most ${MAX_EVENTS_PER_BATCH} events`);
    if (l[3] !== null) checkSelf(l[3], src, `${f}.self`);
    for (let r = 0; r < rows; r++) checkRow(l, LISTING_HEAD + r * ROW_WIDTH, dir as string, li - 4, r);
  }
  // MessagePack strings must be UTF-8, as a JSON body must: the decoder replaced bytes that are not, so
  // only a batch showing a replacement character has its string bytes checked (rare: U+FFFD in a name).
  if ((replaced || (typeof cid === 'string' && cid.includes('\uFFFD'))) && !stringsAreUtf8(body)) {
    fail('', 'a string is not valid UTF-8: names that are not are percent-encoded by the agent (docs/source-fs.md, "Names")');
  }
  const batch: ListingBatch = { message_source: src, batch_seq: seq as number, listings: v.slice(4) as Listing[], count };
  if (cid !== null) batch.command_id = cid as string;
  return batch;
}

/** readListingBatch with its events as objects: the EventBatch the compact body stands for. */
export function decodeListingBatch(body: Uint8Array): EventBatch {
  const b = readListingBatch(body);
  const events: UpsertEvent[] = [];
  for (const l of b.listings) listingEvents(l, events);
  const batch: EventBatch = { message_source: b.message_source, batch_seq: b.batch_seq, events };
  if (b.command_id !== undefined) batch.command_id = b.command_id;
  return batch;
}
