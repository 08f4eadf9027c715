// Collects a scan's entries as per-directory listings (protocol listings.ts) instead of one object per entry.
//
// A directory's own entry opens its listing; its children are rows of numbers and a name appended to
// it. A chunk handed over mid-directory continues in the next one as a listing without `self`. Rows
// come straight from lstat numbers (a stat worker's array or a Stats), so a file costs eight array
// slots, not an event object and a full path.

import type { Stats } from 'node:fs';
import { KIND_CODES, LISTING_HEAD, type Listing, type ListingSelf, type PackedRows } from '@fustor/protocol';
import { kindOfMode } from '../meta.js';
import type { ScanChunk } from '../types.js';
import { ST_CTIME, ST_GID, ST_MODE, ST_MTIME, ST_SIZE, ST_STRIDE, ST_UID } from './dir-job.js';

/** Permission bits of st_mode (consumers.md §1). */
const PERM = 0o7777;
const DIR_CODE = KIND_CODES.dir;

/** Row kind code of a full st_mode. */
export function kindCodeOfMode(mode: number): number {
  return KIND_CODES[kindOfMode(mode)];
}

export class ChunkBuilder {
  #listings: Listing[] = [];
  #count = 0;
  #packed: Map<Listing, PackedRows> | null = null;
  /** The listing rows go to, and the directory it belongs to. */
  #cur: Listing | null = null;
  #dir = '';
  #dirMtime = 0;
  #observed = 0;

  get count(): number {
    return this.#count;
  }

  /**
   * Opens the listing of directory `dir` with its own entry (from its lstat); returns the entry, whose
   * audit_skipped (index 6) the walker may still set while the chunk is open.
   */
  dir(dir: string, st: Stats, observed: number, parentView: string | undefined, parentMtimeMs: number | undefined): ListingSelf {
    const self: ListingSelf = [parentView ?? null, parentView === undefined ? null : parentMtimeMs!, st.uid, st.gid, st.mode & PERM, st.ctimeMs, null];
    this.#cur = [dir, st.mtimeMs, observed, self];
    this.#listings.push(this.#cur);
    this.#dir = dir;
    this.#dirMtime = st.mtimeMs;
    this.#observed = observed;
    this.#count++;
    return self;
  }

  /** A directory's own entry again, alone (an audit re-marking it skipped after its listing was handed over). */
  dirAgain(dir: string, mtime: number, observed: number, self: ListingSelf): void {
    this.#listings.push([dir, mtime, observed, [...self] as ListingSelf]);
    this.#cur = null;
    this.#count++;
  }

  /** The listing rows of `dir` go to in this chunk (a continuation without `self` after a hand-over). */
  #rows(dir: string, dirMtime: number, observed: number): Listing {
    const c = this.#cur;
    if (c !== null && this.#dir === dir && this.#dirMtime === dirMtime && this.#observed === observed) return c;
    const l: Listing = [dir, dirMtime, observed, null];
    this.#listings.push(l);
    this.#cur = l;
    this.#dir = dir;
    this.#dirMtime = dirMtime;
    this.#observed = observed;
    return l;
  }

  /** A non-directory child from a stat worker's numbers (entry i of `st`). */
  rowFromNumbers(dir: string, dirMtime: number, observed: number, name: string, st: Float64Array, i: number): void {
    const o = i * ST_STRIDE;
    const mode = st[o + ST_MODE]!;
    this.#rows(dir, dirMtime, observed).push(
      name, kindCodeOfMode(mode), st[o + ST_SIZE]!, st[o + ST_MTIME]!, st[o + ST_UID]!, st[o + ST_GID]!, mode & PERM, st[o + ST_CTIME]!,
    );
    this.#count++;
  }

  /** A child from its own lstat (a directory carries no size). */
  rowFromStats(dir: string, dirMtime: number, observed: number, name: string, st: Stats): void {
    const mode = st.mode;
    const k = kindCodeOfMode(mode);
    this.#rows(dir, dirMtime, observed).push(name, k, k === DIR_CODE ? null : st.size, st.mtimeMs, st.uid, st.gid, mode & PERM, st.ctimeMs);
    this.#count++;
  }

  /**
   * Every non-directory child of `dir` at once, packed by the native job: they go to a listing of
   * their own (the open one when it has no rows yet), which then takes no more rows.
   */
  packedRows(dir: string, dirMtime: number, observed: number, rows: PackedRows): void {
    if (rows.count === 0) return;
    let l = this.#rows(dir, dirMtime, observed);
    if (l.length > LISTING_HEAD || this.#packed?.has(l)) {
      l = [dir, dirMtime, observed, null];
      this.#listings.push(l);
    }
    (this.#packed ??= new Map()).set(l, rows);
    this.#cur = null;
    this.#count += rows.count;
  }

  /** Hands the collected listings over and starts an empty chunk. */
  take(): ScanChunk {
    const chunk: ScanChunk = this.#packed === null
      ? { listings: this.#listings, count: this.#count }
      : { listings: this.#listings, count: this.#count, packed: this.#packed };
    this.#listings = [];
    this.#count = 0;
    this.#cur = null;
    this.#packed = null;
    return chunk;
  }
}
