// The per-event arbitration rules of consistency.md §4: realtime, snapshot and smart-merge scans, with tombstone checks.

import { LISTING_HEAD, ROW_WIDTH, type DeleteEvent, type Listing, type MessageSource, type UpsertEvent } from '@fustor/protocol';
import { F_AUDIT_SKIPPED, F_DIR, F_KNOWN, NO_NODE, ROOT } from '../tree/node-table.js';
import { kindCode, sourceCode } from '../tree/node-meta.js';
import { OP_UPSERT } from '../changes/change-buffer.js';
import type { ViewState } from './view-state.js';

/** Outcome of one event: applied (possibly changing nothing) or discarded by a rule. */
export const ACCEPTED = 0;
export const IGNORED = 1;
export type Outcome = typeof ACCEPTED | typeof IGNORED;

/**
 * Tombstone check on the path and its ancestors: a realtime delete of a directory leaves one tombstone
 * for the directory, and a late scan echo of a file inside it must not resurrect the directory.
 * Returns true when the event is an echo; otherwise drops the tombstones it outdates (re-creation).
 *
 * A realtime upsert from the session whose realtime delete made the tombstone is causally later
 * (a session's batches apply strictly in order), so it is a re-creation whatever its mtime: the
 * watermark-based logical time can run ahead of the storage clock by up to the event delivery
 * delay plus the skew rounding, and `rm f; echo > f` would otherwise be dropped.
 *
 * A path that exists as a node never has a tombstone (a realtime delete removes the node; anything
 * that creates a node — at the path or, implicitly, as an ancestor — first passes this check, which
 * drops the tombstones it outdates). So prefixes up to `existsUpTo` characters, known to exist, are
 * skipped: an update of an existing file checks nothing, a new file in an existing directory only
 * its own path, instead of every ancestor (a substring and a Map lookup each) on every event.
 */
export function isTombstoneEcho(st: ViewState, path: string, mtime: number, realtimeSession: string | null = null, existsUpTo = 0): boolean {
  if (st.tombstones.size === 0) return false;
  let hit: string[] | null = null;
  for (let p: string | null = path; p !== null && p.length > existsUpTo; p = parentPath(p)) {
    const ts = st.tombstones.get(p);
    if (ts === undefined) continue;
    const sameStream = realtimeSession !== null && ts.session === realtimeSession;
    if (!sameStream && !(mtime > ts.logical)) return true;
    (hit ??= []).push(p);
  }
  if (hit !== null) for (const p of hit) st.dropTombstone(p);
  return false;
}

function parentPath(p: string): string | null {
  if (p === '/') return null;
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/** Set by put(): whether its node was created (not updated in place), and whether it changed at all. Avoids an object per event. */
let putCreated = false;
let putChanged = false;
/** Provenance stamped on every node the current event creates or changes (source code, agent index; see node-meta.ts). */
let provSource = 0;
let provAgent = 0;
const SNAPSHOT_SOURCE = sourceCode('snapshot');
/** Set by resolve(): how much of the path its returned node covers (path.length: all of it). */
let resolvedAt = 0;

/**
 * Deepest existing node along `path` (see NodeTable.lookupPrefix). Consecutive events mostly share a
 * parent directory (a scan lists one directory at a time, writes come in bursts), so the parent of the
 * last path walked is remembered: a path in the same directory costs one hash probe instead of a walk.
 * The hint holds a node id, so any removal (which may free or reuse ids) invalidates it.
 */
function resolve(st: ViewState, path: string): number {
  const t = st.t;
  const hint = st.dirHint;
  const slash = path.lastIndexOf('/');
  if (slash > 0 && hint.gen === st.tree.generation && hint.path.length === slash && path.startsWith(hint.path)) {
    if (hint.fresh) {
      resolvedAt = slash;
      return hint.id;
    }
    const c = t.childAt(hint.id, path, slash + 1, path.length);
    if (c !== NO_NODE) {
      resolvedAt = path.length;
      return c;
    }
    resolvedAt = slash;
    return hint.id;
  }
  const id = t.lookupPrefix(path);
  resolvedAt = t.prefixEnd;
  if (slash > 0) {
    const dirId = resolvedAt === path.length ? t.parent[id]! : resolvedAt === slash && t.isDir(id) ? id : NO_NODE;
    if (dirId !== NO_NODE) rememberDir(st, path.slice(0, slash), dirId);
  }
  return id;
}

function rememberDir(st: ViewState, dirPath: string, id: number): void {
  const hint = st.dirHint;
  hint.path = dirPath;
  hint.id = id;
  hint.gen = st.tree.generation;
  hint.fresh = false;
}

/**
 * Called at every listing boundary of a compact batch (`listing`: the listing whose first row comes
 * next; null: its own entry, or the batch's end). When the listing's directory exists, has no child
 * yet and the listing names each child once, none of its rows can find an existing node: a snapshot
 * creates them directly (applyFreshSnapshotRow), other scans' resolve() answers "not there" without
 * a child lookup (a snapshot fills empty directories: lookup and path handling were about a fifth of
 * Fusion's apply time, docs/benchmarks.md). Anything else keeps the ordinary path; the result is the
 * same either way (listing-fast-path.test.ts).
 */
export function beginListingRows(st: ViewState, listing: Listing | null): void {
  const hint = st.dirHint;
  hint.fresh = false;
  if (listing === null) return;
  const t = st.t;
  const dir = listing[0];
  const id = t.lookup(dir);
  if (id === NO_NODE || !t.isDir(id) || t.childCount(id) !== 0 || !namesUnique(listing)) return;
  rememberDir(st, dir, id);
  hint.fresh = true;
}

function namesUnique(l: Listing): boolean {
  const rows = (l.length - LISTING_HEAD) / ROW_WIDTH;
  if (rows < 2) return true;
  // Strictly increasing names are unique. Agents list in sorted order, so this one pass of comparisons
  // usually decides without hashing every name into a Set (~15 ms per 100k rows, docs/benchmarks.md).
  let prev = l[LISTING_HEAD] as string;
  let sorted = true;
  for (let i = LISTING_HEAD + ROW_WIDTH; i < l.length; i += ROW_WIDTH) {
    const name = l[i] as string;
    if (!(prev < name)) {
      sorted = false;
      break;
    }
    prev = name;
  }
  if (sorted) return true;
  const seen = new Set<string>();
  for (let i = LISTING_HEAD; i < l.length; i += ROW_WIDTH) seen.add(l[i] as string);
  return seen.size === rows;
}

/**
 * Creates, updates or (when file/dir kind changed) replaces the node of `path` in one walk of the path
 * (no substring per component). Missing ancestors are created as directories with mtime 0 (unknown: the
 * next scan fills it in); a file standing where a directory must be is replaced, since the child's
 * existence is newer evidence than the file's. Returns the node id; `putCreated` says whether it is new.
 */
function put(st: ViewState, path: string, isDir: boolean, size: number, mtime: number, createFlags: number, confirmed: number): number {
  const t = st.t;
  let id = resolve(st, path);
  let at = resolvedAt;
  if (at === path.length) {
    if (t.isDir(id) === isDir) {
      putChanged = st.tree.setAttrs(id, isDir ? 0 : size, mtime);
      putCreated = false;
      return id;
    }
    const p = t.parent[id]!;
    st.removeNode(id, false);
    id = p;
    at = path.lastIndexOf('/');
  } else if (!t.isDir(id)) {
    const p = t.parent[id]!;
    st.removeNode(id, false);
    id = p;
    at = path.lastIndexOf('/', at - 1);
  }
  // `id` is a live directory holding path[0, at); create the rest below it.
  const tree = st.tree;
  let from = at + 1;
  for (let i = from; i < path.length; i++) {
    if (path.charCodeAt(i) !== 47) continue;
    id = tree.createChild(id, path.slice(from, i), true, 0, 0, createFlags, confirmed);
    tree.setProvenance(id, provSource, provAgent);
    st.changes.node(OP_UPSERT, t, id, path.slice(0, i), true);
    from = i + 1;
  }
  if (from > at + 1) rememberDir(st, path.slice(0, from - 1), id);
  putCreated = true;
  putChanged = true;
  return tree.createChild(id, path.slice(from), isDir, isDir ? 0 : size, mtime, createFlags, confirmed);
}

/**
 * A snapshot row of a listing that fills an empty directory (beginListingRows set the hint fresh, and
 * the view has no tombstone): exactly what applyUpsert does for it — the row cannot exist, so it is
 * created below the listing's directory — without building, scanning and slicing its full path.
 * `name` is the row's name as the listing holds it (validated: one path segment).
 */
export function applyFreshSnapshotRow(st: ViewState, ev: UpsertEvent, name: string, agent: number): Outcome {
  provSource = SNAPSHOT_SOURCE;
  provAgent = agent;
  const isDir = ev.is_dir;
  const id = st.tree.createChild(st.dirHint.id, name, isDir, isDir ? 0 : (ev.size ?? 0), ev.mtime_ms, F_KNOWN, 0);
  applyMeta(st, id, ev, true, true);
  st.tree.setFlag(id, F_KNOWN, true);
  if (!isDir) st.markIfHot(id, ev.mtime_ms, ev.path);
  return ACCEPTED;
}

/** Whether the next listing row may go through applyFreshSnapshotRow. */
export function freshRowsAhead(st: ViewState): boolean {
  const hint = st.dirHint;
  return hint.fresh && hint.gen === st.tree.generation && st.tombstones.size === 0;
}

/** Applies the event's size, mtime and metadata to its node; stamps provenance when anything changed. */
function putEvent(st: ViewState, ev: UpsertEvent, createFlags: number, confirmed: number): number {
  const id = put(st, ev.path, ev.is_dir, ev.size ?? 0, ev.mtime_ms, createFlags, confirmed);
  applyMeta(st, id, ev, putChanged, putCreated);
  return id;
}

/** Metadata of the event onto node `id`; anything changed (attrs before, or metadata now) stamps provenance and is a feed entry. */
function applyMeta(st: ViewState, id: number, ev: UpsertEvent, changed: boolean, created: boolean): boolean {
  const metaChanged = st.tree.setMeta(id, kindCode(ev.kind), ev.uid, ev.gid, ev.mode, ev.ctime_ms);
  if (changed || metaChanged) {
    st.tree.setProvenance(id, provSource, provAgent);
    st.changes.node(OP_UPSERT, st.t, id, ev.path, created);
  }
  return metaChanged;
}

/**
 * `agent` is the view's index of the sending agent (Labels.agentIndex); every node the event creates or
 * changes records it with the message source (consumers.md §1, provenance).
 */
export function applyUpsert(st: ViewState, source: MessageSource, ev: UpsertEvent, now: number, session: string | null = null, agent = 0): Outcome {
  provSource = sourceCode(source);
  provAgent = agent;
  if (ev.path === '/') return applyRootUpsert(st, source, ev);
  if (st.tombstones.size !== 0) {
    resolve(st, ev.path);
    if (isTombstoneEcho(st, ev.path, ev.mtime_ms, source === 'realtime' ? session : null, resolvedAt)) return IGNORED;
  }
  switch (source) {
    case 'realtime':
      return realtimeUpsert(st, ev, now);
    case 'snapshot':
      return snapshotUpsert(st, ev);
    default:
      return scanUpsert(st, source, ev);
  }
}

function realtimeUpsert(st: ViewState, ev: UpsertEvent, now: number): Outcome {
  const id = putEvent(st, ev, F_KNOWN, now);
  st.tree.setConfirmed(id, now);
  st.tree.setFlag(id, F_KNOWN, true);
  st.dropBlindMarks(id, ev.path);
  if (!ev.is_dir) {
    if (ev.is_atomic_write === false) st.setSuspect(id, st.clocks.monotonic() + st.th.hotMs, ev.mtime_ms, ev.path);
    else st.clearSuspect(id, ev.path);
    st.clock.sample(now, ev.mtime_ms);
  }
  return ACCEPTED;
}

function snapshotUpsert(st: ViewState, ev: UpsertEvent): Outcome {
  if (ev.is_dir) {
    // The watcher reports a directory's new mtime as its entries change; a snapshot listing made before
    // that must not roll it back (the directory's entries are judged one by one anyway).
    const existing = resolve(st, ev.path);
    if (resolvedAt === ev.path.length && st.t.isDir(existing) && st.t.mtime[existing]! > ev.mtime_ms) {
      applyMeta(st, existing, ev, false, false);
      st.tree.setFlag(existing, F_KNOWN, true);
      return ACCEPTED;
    }
  }
  const id = putEvent(st, ev, F_KNOWN, 0);
  st.tree.setFlag(id, F_KNOWN, true);
  if (!ev.is_dir) st.markIfHot(id, ev.mtime_ms, ev.path);
  return ACCEPTED;
}

/** Audit / on-demand "smart merge": a scan may add what Fusion lacks but never rolls a node back. */
function scanUpsert(st: ViewState, source: MessageSource, ev: UpsertEvent): Outcome {
  const t = st.t;
  const isAudit = source === 'audit';
  const deepest = resolve(st, ev.path);
  const covered = resolvedAt;
  const existing = covered === ev.path.length ? deepest : NO_NODE;
  if (existing !== NO_NODE && t.isDir(existing) === ev.is_dir && t.mtime[existing]! >= ev.mtime_ms) {
    // Content is not newer, but a newer ctime says the scan saw a chown/chmod Fusion missed: take the metadata only.
    if (ev.ctime_ms !== undefined && !(t.ctime[existing]! >= ev.ctime_ms)) applyMeta(st, existing, ev, false, false);
    if (isAudit) noteAuditEntry(st, existing, ev);
    return ACCEPTED;
  }
  // The parent exists exactly when the deepest node found ends where the base name begins.
  if (existing === NO_NODE && ev.parent_mtime_ms !== undefined && covered === ev.path.lastIndexOf('/')) {
    if (t.mtime[deepest]! > ev.parent_mtime_ms) return IGNORED;
  }
  const id = putEvent(st, ev, 0, 0);
  const created = putCreated;
  // An existing directory whose mtime moved only says its entries changed (the entries themselves are
  // judged one by one), so it is not a blind-spot addition; anything new, or a file that changed, is.
  if (created || !ev.is_dir) {
    st.tree.setFlag(id, F_KNOWN, false);
    st.addBlindAddition(id, ev.path);
  }
  if (isAudit) noteAuditEntry(st, id, ev);
  if (!ev.is_dir) st.markIfHot(id, ev.mtime_ms, ev.path);
  return ACCEPTED;
}

function noteAuditEntry(st: ViewState, id: number, ev: UpsertEvent): void {
  if (ev.is_dir && ev.audit_skipped !== undefined) {
    st.tree.setFlag(id, F_AUDIT_SKIPPED, ev.audit_skipped);
    if (!ev.audit_skipped) st.markListed(ev.path);
  }
  st.markSeen(id);
}

/** The root always exists and stays a directory; scans may teach its mtime and audit flag. */
function applyRootUpsert(st: ViewState, source: MessageSource, ev: UpsertEvent): Outcome {
  if (!ev.is_dir) return IGNORED;
  const t = st.t;
  if (source === 'realtime' || source === 'snapshot' || t.mtime[ROOT]! < ev.mtime_ms) {
    applyMeta(st, ROOT, ev, st.tree.setAttrs(ROOT, 0, ev.mtime_ms), false);
  }
  if (source === 'audit') noteAuditEntry(st, ROOT, ev);
  return ACCEPTED;
}

export function applyDelete(st: ViewState, source: MessageSource, ev: DeleteEvent, now: number, session: string | null = null): Outcome {
  if (ev.path === '/') return IGNORED;
  const t = st.t;
  const id = t.lookup(ev.path);
  if (source === 'realtime') {
    const wasDir = id === NO_NODE || (t.flags[id]! & F_DIR) !== 0;
    if (id !== NO_NODE) st.removeNode(id, false);
    if (wasDir) st.dropBlindDeletionsUnder(ev.path);
    else st.dropBlindMarks(NO_NODE, ev.path);
    st.setTombstone(ev.path, { logical: st.watermark(), physical: now, session });
    return ACCEPTED;
  }
  // A scan reporting a deletion is compensating evidence: never against a realtime confirmation made
  // after the audit began, and recorded as a blind-spot deletion rather than a tombstone.
  if (id === NO_NODE) return ACCEPTED;
  if (st.audit !== null && t.confirmed[id]! > st.audit.startedAt) return IGNORED;
  st.removeNode(id, true);
  return ACCEPTED;
}
