// MessagePack codec of compact scan batches: the agent packs listings, Fusion unpacks and validates them into events.
//
// Why MessagePack (msgpackr): measured on scan batches of 50 listings × 100 files (bench/encoding.mjs),
// packing from the stat worker's numbers and unpacking to validated events cost about half of
// compact JSON arrays at both ends, and a third of the bytes: times (mtime, ctime) travel as 8-byte
// doubles, so neither side formats or parses 2 numbers of ~18 digits per file. Body layout:
//   [LISTINGS_VERSION, message_source, batch_seq, command_id | null, listing, listing, ...]
// Validation is as strict as the JSON schema's (one bad row rejects the batch, naming it), plus: a row's
// name is one path segment. Only arrays, strings, numbers, booleans and null are accepted anywhere.

import { Packr, Unpackr } from 'msgpackr';
import { ProtocolValidationError } from './errors.js';
import { viewPathProblem, MAX_PATH_BYTES } from './paths.js';
import {
  MAX_EVENTS_PER_BATCH, MAX_MODE, MAX_PRINCIPAL_ID, MESSAGE_SOURCES, NODE_KINDS, type EventBatch, type MessageSource, type UpsertEvent,
} from './schemas.js';
import { childPath, listingEvents, LISTING_HEAD, LISTINGS_VERSION, ROW_WIDTH, type Listing } from './listings.js';

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** The listings of one scan chunk as MessagePack values back to back (chunks of a batch are concatenated). */
export function encodeListings(listings: readonly Listing[]): Buffer {
  if (listings.length === 1) return Buffer.from(packr.pack(listings[0]));
  return Buffer.concat(listings.map((l) => packr.pack(l)));
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
  const n = 4 + count;
  // MessagePack array header for n elements, then the four head values (their 4-array's header dropped).
  const header = n < 16 ? Buffer.from([0x90 | n]) : n < 0x10000 ? Buffer.from([0xdc, n >> 8, n & 0xff]) : Buffer.from([0xdd, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  const values = packr.pack([LISTINGS_VERSION, head.message_source, head.batch_seq, head.command_id ?? null]).subarray(1);
  return Buffer.concat([header, values, ...chunks]);
}

// ---- decoding and validation ----------------------------------------------------------------

const SOURCES = new Set<string>(MESSAGE_SOURCES);

function fail(field: string, problem: string): never {
  throw new ProtocolValidationError(field, problem);
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
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

const P_FINITE = 'must be a finite number';
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
  }
  optional(pm, `${f}.parent_mtime_ms`, finite, P_FINITE);
  if ((pp === null) !== (pm === null)) fail(`${f}.parent_mtime_ms`, 'parent_path and parent_mtime_ms go together');
  if (skipped !== null) {
    if (typeof skipped !== 'boolean') fail(`${f}.audit_skipped`, 'must be a boolean or null');
    if (source !== 'audit') fail(`${f}.audit_skipped`, 'is allowed only on directories in audit batches');
  }
  optional(uid, `${f}.uid`, isId, P_ID);
  optional(gid, `${f}.gid`, isId, P_ID);
  optional(mode, `${f}.mode`, isMode, P_MODE);
  optional(ctime, `${f}.ctime_ms`, finite, P_FINITE);
}

function checkRow(l: unknown[], i: number, dir: string, f: string): void {
  const name = l[i];
  const np = nameProblem(name);
  if (np !== null) fail(`${f}.name`, np);
  const len = dir.length + 1 + (name as string).length;
  if (len > MAX_PATH_BYTES / 3 && Buffer.byteLength(childPath(dir, name as string), 'utf8') > MAX_PATH_BYTES) fail(`${f}.name`, `makes a path over ${MAX_PATH_BYTES} bytes`);
  const k = l[i + 1];
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= NODE_KINDS.length) fail(`${f}.kind`, `must be a kind code from 0 to ${NODE_KINDS.length - 1} (${NODE_KINDS.join(', ')})`);
  if (!finite(l[i + 3])) fail(`${f}.mtime_ms`, P_FINITE);
  const size = l[i + 2];
  if (size !== null && !(finite(size) && size >= 0)) fail(`${f}.size`, 'must be a finite number >= 0 or null');
  optional(l[i + 4], `${f}.uid`, isId, P_ID);
  optional(l[i + 5], `${f}.gid`, isId, P_ID);
  optional(l[i + 6], `${f}.mode`, isMode, P_MODE);
  optional(l[i + 7], `${f}.ctime_ms`, finite, P_FINITE);
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
 * (`listings[2].rows[7].mtime_ms: must be a finite number`). Its events: listingEvents (objects) or
 * listingEventCursor (one reused object, for the ingest path).
 */
export function readListingBatch(body: Uint8Array): ListingBatch {
  const v = unpackAll(body);
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
    if (!finite(l[1])) fail(`${f}.mtime_ms`, P_FINITE);
    if (!finite(l[2])) fail(`${f}.observed_at_ms`, P_FINITE);
    const rows = (l.length - LISTING_HEAD) / ROW_WIDTH;
    count += rows + (l[3] === null ? 0 : 1);
    if (count > MAX_EVENTS_PER_BATCH) fail('listings', `must hold at most ${MAX_EVENTS_PER_BATCH} events`);
    if (l[3] !== null) checkSelf(l[3], src, `${f}.self`);
    for (let r = 0; r < rows; r++) checkRow(l, LISTING_HEAD + r * ROW_WIDTH, dir as string, `${f}.rows[${r}]`);
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
