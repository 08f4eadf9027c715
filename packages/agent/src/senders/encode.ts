// Hand-rolled JSON for event batches, the snapshot hot path: plain strings quoted directly, runs of
// equal values (observed time, parent, owner/mode) encoded once, a chunk's times formatted together.
//
// Output is JSON.stringify's for the same event, up to key order (fixed here, irrelevant to JSON) and
// times outside the protocol's window (1970 … 2200), which are clamped into it as Fusion requires:
// the protocol's event fields are written one by one, strings that need no escaping are quoted
// directly and every other string goes through JSON.stringify, non-finite numbers become null
// exactly as JSON.stringify makes them. Undefined fields are left out, as JSON.stringify does.
// Only the protocol's fields are written: Fusion's schemas are strict, and FileEvent has no others.

import { clampWireTime, type FileEvent, type MessageSource } from '@fustor/protocol';

/** Printable ASCII without `"` and `\`: quoted as is. Anything else takes JSON.stringify's escaping. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function str(s: string): string {
  return PLAIN.test(s) ? '"' + s + '"' : JSON.stringify(s);
}

function num(n: number): string {
  return Number.isFinite(n) ? '' + n : 'null';
}

/** A time field: a file dated 1969 or 2300 must not get its whole batch rejected. */
function time(n: number): string {
  return num(clampWireTime(n));
}

function timeVal(v: unknown): string {
  return typeof v === 'number' ? time(v) : val(v);
}

// A directory's files share observed_at_ms, parent_path and parent_mtime_ms: their JSON is made
// once per run of equal values (double-to-string is the dearest part of encoding a number).
let tailObserved = NaN;
let tailParent = '';
let tailParentMtime = NaN;
let tailJson = '';

function tail(observed: number, parent: string, parentMtime: number): string {
  if (observed !== tailObserved || parent !== tailParent || parentMtime !== tailParentMtime) {
    tailObserved = observed;
    tailParent = parent;
    tailParentMtime = parentMtime;
    tailJson = ',"observed_at_ms":' + time(observed) + ',"parent_path":"' + parent + '","parent_mtime_ms":' + time(parentMtime);
  }
  return tailJson;
}

// Likewise kind, owner, group and permissions (consumers.md §1) come in long runs within a tree.
const KINDS: ReadonlySet<unknown> = new Set(['file', 'dir', 'symlink', 'fifo', 'socket', 'device']);
let metaKind = '';
let metaUid = NaN;
let metaGid = NaN;
let metaMode = NaN;
let metaJson = '';

function meta(kind: string, uid: number, gid: number, mode: number): string {
  if (kind !== metaKind || uid !== metaUid || gid !== metaGid || mode !== metaMode) {
    metaKind = kind;
    metaUid = uid;
    metaGid = gid;
    metaMode = mode;
    metaJson = ',"kind":"' + kind + '","uid":' + num(uid) + ',"gid":' + num(gid) + ',"mode":' + num(mode);
  }
  return metaJson;
}

function val(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'number':
      return num(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return JSON.stringify(v) ?? 'null';
  }
}

/**
 * One event as a JSON object. `mtimeText` / `ctimeText`: the times already as text (encodeEvents
 * formats a whole chunk's at once); computed here when absent.
 */
export function encodeEvent(e: FileEvent, mtimeText?: string, ctimeText?: string): string {
  const u = e as Partial<Record<string, unknown>> & FileEvent;
  // Fast path: a listed file or directory as scans produce it (nearly every event of a snapshot).
  if (
    typeof u.path === 'string' && typeof u.parent_path === 'string' && typeof u.mtime_ms === 'number'
    && typeof u.observed_at_ms === 'number' && typeof u.parent_mtime_ms === 'number'
    && u.is_atomic_write === undefined && u.audit_skipped === undefined && e.op === 'upsert'
    && PLAIN.test(u.path) && (u.parent_path === tailParent || PLAIN.test(u.parent_path))
  ) {
    const head = u.is_dir === false && typeof u.size === 'number'
      ? '{"op":"upsert","path":"' + u.path + '","is_dir":false,"size":' + num(u.size)
      : u.is_dir === true && u.size === undefined ? '{"op":"upsert","path":"' + u.path + '","is_dir":true' : null;
    if (head !== null) {
      const s = head + ',"mtime_ms":' + (mtimeText ?? time(u.mtime_ms)) + tail(u.observed_at_ms, u.parent_path, u.parent_mtime_ms);
      const { kind, uid, gid, mode, ctime_ms: ctime } = u;
      if (kind === undefined && uid === undefined && gid === undefined && mode === undefined && ctime === undefined) return s + '}';
      if (KINDS.has(kind) && typeof uid === 'number' && typeof gid === 'number' && typeof mode === 'number' && typeof ctime === 'number') {
        return s + meta(kind as string, uid, gid, mode) + ',"ctime_ms":' + (ctimeText ?? time(ctime)) + '}';
      }
    }
  }
  let s = '';
  if (u.op !== undefined) s += ',"op":' + val(u.op);
  if (u.path !== undefined) s += ',"path":' + val(u.path);
  if (u.is_dir !== undefined) s += ',"is_dir":' + val(u.is_dir);
  if (u.size !== undefined) s += ',"size":' + val(u.size);
  if (u.mtime_ms !== undefined) s += ',"mtime_ms":' + timeVal(u.mtime_ms);
  if (u.observed_at_ms !== undefined) s += ',"observed_at_ms":' + timeVal(u.observed_at_ms);
  if (u.is_atomic_write !== undefined) s += ',"is_atomic_write":' + val(u.is_atomic_write);
  if (u.parent_path !== undefined) s += ',"parent_path":' + val(u.parent_path);
  if (u.parent_mtime_ms !== undefined) s += ',"parent_mtime_ms":' + timeVal(u.parent_mtime_ms);
  if (u.kind !== undefined) s += ',"kind":' + val(u.kind);
  if (u.uid !== undefined) s += ',"uid":' + val(u.uid);
  if (u.gid !== undefined) s += ',"gid":' + val(u.gid);
  if (u.mode !== undefined) s += ',"mode":' + val(u.mode);
  if (u.ctime_ms !== undefined) s += ',"ctime_ms":' + timeVal(u.ctime_ms);
  if (u.audit_skipped !== undefined) s += ',"audit_skipped":' + val(u.audit_skipped);
  return '{' + s.slice(1) + '}';
}

/**
 * mtime_ms and ctime_ms of every event as text (2i, 2i + 1), from one JSON.stringify of a number
 * array: V8 formats a double about 4× faster there than through `'' + n` (no string allocated
 * and cached per number), and every file carries two distinct fractional times. Non-numbers
 * stand in as 0 and are never used (the fast path takes only numeric times).
 */
function timesText(events: readonly FileEvent[]): string[] {
  const xs: number[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Partial<Record<string, unknown>>;
    const m = e.mtime_ms;
    const c = e.ctime_ms;
    xs.push(typeof m === 'number' ? clampWireTime(m) : 0, typeof c === 'number' ? clampWireTime(c) : 0);
  }
  return JSON.stringify(xs).slice(1, -1).split(',');
}

/** The elements of an events array, comma-separated, without the brackets (chunks join with ','). */
export function encodeEvents(events: readonly FileEvent[]): string {
  if (events.length === 0) return '';
  const t = timesText(events);
  let s = '';
  for (let i = 0; i < events.length; i++) s += (i === 0 ? '' : ',') + encodeEvent(events[i]!, t[2 * i], t[2 * i + 1]);
  return s;
}

/**
 * The events of one scan chunk as UTF-8 JSON (encodeEvents output). Kept as a Buffer: the bytes
 * live outside the JS heap, so chunks waiting for the wire cost the garbage collector nothing.
 */
export function encodeChunk(events: readonly FileEvent[]): Buffer {
  return Buffer.from(encodeEvents(events), 'utf8');
}

/** A batch whose events are already encoded. */
export interface EncodedBatch {
  message_source: MessageSource;
  batch_seq: number;
  command_id?: string;
  /** encodeChunk() outputs, in order; the body joins them with ','. */
  chunks: readonly Buffer[];
  /** Number of events in the chunks. */
  count: number;
}

const COMMA = Buffer.from(',');
const TAIL = Buffer.from(']}');

/** The request body of an encoded batch (the same document as JSON.stringify of the EventBatch). */
export function encodedBatchBody(b: EncodedBatch): Buffer {
  const head = '{"message_source":' + str(b.message_source) + ',"batch_seq":' + num(b.batch_seq)
    + (b.command_id !== undefined ? ',"command_id":' + str(b.command_id) : '') + ',"events":[';
  const parts: Buffer[] = [Buffer.from(head, 'utf8')];
  b.chunks.forEach((c, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(c);
  });
  parts.push(TAIL);
  return Buffer.concat(parts);
}

/** The events of encoded chunks, back as objects (the rare paths that need them: splitting after 413). */
export function decodeChunks(chunks: readonly Buffer[]): FileEvent[] {
  return chunks.flatMap((c) => JSON.parse('[' + c.toString('utf8') + ']') as FileEvent[]);
}
