// The directory walk shared by snapshot, audit and on-demand scans: streams upsert batches.
//
// Design (measured, see docs/source-fs.md): directories are visited breadth-first. Each directory
// is lstat()ed on the main thread right before its listing starts; up to `concurrency` listings
// run ahead — in stat workers (readdir + lstat of the children with sync calls, on the other
// core) when a pool is given, the main thread taking one only instead of waiting for a worker;
// else as async readdir with sync lstat of the children here, which on this kind of machine is
// several times cheaper than per-file fs.promises. The event loop gets a
// turn at least every BREATH_MS. Memory holds the pending directory paths, the read-ahead listings
// and one batch — never the tree.

import type { Dirent, Stats } from 'node:fs';
import { setImmediate as breathe } from 'node:timers/promises';
import type { FsLayer, LocalPath } from '../fs-layer.js';
import { joinLocal } from '../fs-layer.js';
import type { Filters } from '../filters.js';
import type { IssueReporter } from '../issues.js';
import { encodeName, encodeNameBytes, mayBeLossy, needsEncoding } from '../names.js';
import type { ScanChunk, ScanProgress } from '../types.js';
import { AuditCache, HOT_DIR_MS, type CachedSubdir } from './audit-cache.js';
import { listDir, type Listing } from './list-dir.js';
import { ChunkBuilder } from './chunk-builder.js';
import { isDirNumbers, statChild } from './scan-entry.js';
import { K_DIR, K_VANISHED, type DirJobResult } from './dir-job.js';
import { forEachSubdir, packedRowsOf } from './packed-rows.js';
import type { StatPool } from './stat-pool.js';

const BREATH_MS = 15;
const PROGRESS_EVERY_MS = 250;
const MAX_VIEW_BYTES = 4096;
/** Directories queued per stat worker at once (bounded by the read-ahead window). */
const JOBS_PER_WORKER = 12;

export interface WalkStart {
  local: LocalPath;
  view: string;
  /** Absent for the root. */
  parentView?: string;
  parentMtimeMs?: number;
}

export interface WalkContext {
  fs: FsLayer;
  filters: Filters;
  issues: IssueReporter;
  now(): number;
  batchSize: number;
  concurrency: number;
  phase: ScanProgress['phase'];
  /** false = list only the start directory; its subdirectories are reported from their lstat. */
  recursive: boolean;
  /** Called with a directory's view path before it is listed: its realtime watch must be in place first. */
  beforeList?(view: string): void;
  /** Snapshot only: files the watcher sees being written are left to the watcher. */
  isHot?(view: string): boolean;
  /** How many files the watcher sees being written now (0: isHot is false for every path, no need to ask). */
  hotCount?(): number;
  /** Audit only. */
  auditCache?: AuditCache;
  /** Stat workers; absent = everything on the main thread. */
  pool?: StatPool;
  /** Take rows the native job packed (ScanOptions.packedRows). */
  packedRows?: boolean;
  signal?: AbortSignal;
  onProgress(p: ScanProgress): void;
  /** Called when the start directory cannot be read at all (the root: fatal). */
  onStartFailure(err: unknown): void;
}

interface DirItem {
  local: LocalPath;
  view: string;
  parentView?: string;
  parentMtimeMs?: number;
  started: boolean;
  st?: Stats;
  cached?: CachedSubdir[];
  listing?: Promise<Listing>;
  job?: Promise<DirJobResult>;
  /** The worker answered. */
  ready?: boolean;
  failed?: boolean;
}

export async function* walk(ctx: WalkContext, start: WalkStart): AsyncGenerator<ScanChunk> {
  const { fs, filters, issues, batchSize } = ctx;
  const audit = ctx.phase === 'audit' ? ctx.auditCache : undefined;
  const isHot = ctx.phase === 'snapshot' ? ctx.isHot : undefined;
  const pool = ctx.pool?.usable ? ctx.pool : undefined;
  const packRows = ctx.packedRows === true && pool !== undefined;
  const progress: ScanProgress = {
    phase: ctx.phase, entriesScanned: 0, dirsScanned: 0, dirsPending: 1, startedAtMs: ctx.now(), done: false, issues: 0,
  };
  if (audit) progress.dirsSkipped = 0;
  const issuesAtStart = issues.count;
  let lastProgress = performance.now();
  let lastBreath = lastProgress;
  const b = new ChunkBuilder();
  let batchNo = 0;
  let observed = ctx.now();

  const queue: DirItem[] = [{ ...start, started: false }];
  let head = 0;
  let isStart = true;
  let finished = false;
  /** Whether this thread took the last directory it found still in a worker (it alternates: take, wait). */
  let tookLast = true;

  /** Directories the workers may take (string paths; byte paths stay on this thread). */
  const forWorker = (it: DirItem): boolean => pool !== undefined && typeof it.local === 'string';
  const startItem = (it: DirItem, inWorker: boolean): void => {
    it.started = true;
    ctx.beforeList?.(it.view);
    let st: Stats | undefined;
    try {
      st = fs.lstatSync(it.local);
    } catch (err) {
      it.failed = true;
      if (isStart) ctx.onStartFailure(err);
      else issues.fromError(err, it.local, 'stat directory');
      return;
    }
    if (st === undefined || !st.isDirectory()) {
      it.failed = true;
      if (isStart) ctx.onStartFailure(Object.assign(new Error('no such directory'), { code: 'ENOENT' }));
      else issues.report('vanished', it.local, 'directory vanished during the scan', 'ENOENT');
      return;
    }
    it.st = st;
    if (audit && ctx.recursive) {
      it.cached = audit.lookup(it.view, st.mtimeMs);
      if (it.cached) return;
    }
    if (inWorker) {
      it.job = pool!.run(it.local as string);
      it.job.then(() => (it.ready = true));
    } else if (forWorker(it)) {
      // A directory the workers could take, listed here instead of waiting: the same job, on this thread.
      it.job = Promise.resolve(pool!.runHere(it.local as string));
      it.ready = true;
    } else it.listing = listDir(fs, it.local, issues);
  };

  const emitProgress = (done: boolean) => {
    progress.dirsPending = queue.length - head;
    progress.issues = issues.count - issuesAtStart;
    progress.done = done;
    lastProgress = performance.now();
    try {
      ctx.onProgress({ ...progress });
    } catch {
      // A throwing progress hook must not stop the scan.
    }
  };

  /** View segment of a listed name (reporting an encoded name once). */
  const segmentOf = (dir: LocalPath, name: string | Buffer): string => {
    if (typeof name === 'string' && !needsEncoding(name)) return name;
    const e = typeof name === 'string' ? encodeName(name) : encodeNameBytes(name);
    if (e.invalid) issues.report('invalid_name', joinLocal(dir, name), `name encoded as '${e.segment}'`);
    return e.segment;
  };

  const tooLong = (dir: LocalPath, name: string | Buffer, childView: string): boolean => {
    if (childView.length <= MAX_VIEW_BYTES / 3 || Buffer.byteLength(childView) <= MAX_VIEW_BYTES) return false;
    issues.report('name_too_long', joinLocal(dir, name), `view path over ${MAX_VIEW_BYTES} bytes: skipped`, 'ENAMETOOLONG');
    return true;
  };

  /**
   * Between entries (called when the batch is full and every 1024 entries, so the hot loop pays one
   * comparison): hands a full batch over, gives the event loop a turn at least every BREATH_MS, and
   * answers true when the scan was aborted.
   */
  async function* pause(): AsyncGenerator<ScanChunk, boolean> {
    if (b.count >= batchSize) {
      yield b.take();
      batchNo++;
      observed = ctx.now();
    }
    if (ctx.signal?.aborted) {
      progress.aborted = true;
      return true;
    }
    if (performance.now() - lastBreath > BREATH_MS) {
      await breathe();
      lastBreath = performance.now();
    }
    return false;
  }

  try {
    while (head < queue.length) {
      if (ctx.signal?.aborted) {
        progress.aborted = true;
        break;
      }
      // Read ahead: stat + start listing the next few directories while this one is processed.
      // Work sharing: the workers get every directory they can queue (this thread also encodes and
      // sends what the scan yields); this thread lists one itself only instead of waiting for a
      // worker, so both cores stay busy on a quiet machine and the scan degrades gracefully on a
      // busy one. A directory is lstat()ed when its listing starts, never earlier.
      const end = Math.min(queue.length, head + ctx.concurrency);
      const cap = pool ? pool.size * JOBS_PER_WORKER : 0;
      for (let i = head; i < end; i++) {
        const c = queue[i]!;
        if (c.started) continue;
        if (!forWorker(c)) startItem(c, false);
        else if (pool!.pending < cap) startItem(c, true);
      }
      if (!queue[head]!.started) startItem(queue[head]!, false);
      else if (queue[head]!.job && !queue[head]!.ready && !(tookLast = !tookLast)) {
        // The next directory is still in a worker: do one meanwhile (read ahead or not yet started),
        // but at most every other time: a listing here is synchronous, and taking one each time
        // starved the worker (this thread, which also encodes and sends, ended with 3/4 of them).
        for (let j = head + 1; j < end; j++) {
          const c = queue[j]!;
          if (!c.started) startItem(c, false);
          else if (c.job) continue;
          queue[j] = queue[head]!;
          queue[head] = c;
          break;
        }
      }
      const it = queue[head]!;
      queue[head++] = undefined as unknown as DirItem;
      if (head > 4096 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      const wasStart = isStart;
      isStart = false;
      if (it.failed || it.st === undefined) continue;
      const dirMtime = it.st.mtimeMs;
      const dirView = it.view;
      observed = ctx.now();
      const self = b.dir(dirView, it.st, observed, it.parentView, it.parentMtimeMs);
      if (audit) self[6] = it.cached !== undefined;
      const dirBatchNo = batchNo;
      progress.dirsScanned++;
      progress.entriesScanned++;

      const pushSubdir = (local: LocalPath, view: string) =>
        queue.push({ local, view, parentView: dirView, parentMtimeMs: dirMtime, started: false });
      /** A subdirectory: queued (recursive) or reported from its own lstat (non-recursive on-demand scan). */
      const subdir = (local: LocalPath, name: string | Buffer, seg: string, view: string, st?: Stats): boolean => {
        subdirs.push({ name, segment: seg });
        if (ctx.recursive) {
          pushSubdir(local, view);
          return false;
        }
        const r = st ?? statChild(fs, issues, local);
        if (r === 'failed') incomplete = true;
        if (typeof r === 'string') return false;
        b.rowFromStats(dirView, dirMtime, observed, seg, r);
        return true;
      };
      const subdirs: CachedSubdir[] = [];
      let incomplete = false;

      if (it.cached) {
        progress.dirsSkipped!++;
        for (const sd of it.cached) pushSubdir(joinLocal(it.local, sd.name), joinView(dirView, sd.segment));
      } else {
        let listed = false;
        let n = 0;
        const job = it.job ? await it.job : undefined;
        if (job && !job.redo) {
          // Fast path: names and lstat numbers came from a stat worker.
          listed = true;
          const { types, st } = job as Required<DirJobResult>;
          const joined = job.names!;
          const local = it.local as string;
          const prefix = local === '/' ? '/' : local + '/';
          // The common directory needs no per-name checks: no name to encode, no path near the length
          // bound, no exclude globs, no file being written (one test each for the whole listing).
          const plain = !needsEncoding(joined);
          const maybeLong = !plain || dirView.length + joined.length + 1 > MAX_VIEW_BYTES / 3;
          // Packed path: such a directory's rows, packed by the native job, are taken as they are
          // (every row would pass each check below). They fill a batch whole or start the next.
          let packed = false;
          const rows = packRows && !maybeLong && !filters.hasExclude && filters.allFiles && ctx.recursive ? packedRowsOf(job, st) : undefined;
          if (rows !== undefined && rows.count <= batchSize) {
            if (b.count > 0 && b.count + rows.count > batchSize) {
              yield b.take();
              batchNo++;
              observed = ctx.now();
              // As after pause()'s hand-over: an abort stops here, before anything more is queued.
              if (ctx.signal?.aborted) {
                progress.aborted = true;
                break;
              }
            }
            if (!(isHot !== undefined && (ctx.hotCount?.() ?? 1) > 0)) {
              forEachSubdir(job, st, (name) => subdir(prefix + name, name, name, joinView(dirView, name)));
              b.packedRows(dirView, dirMtime, observed, rows);
              progress.entriesScanned += rows.count;
              packed = true;
            }
          }
          const names = packed || types.length === 0 ? [] : joined.split('\0');
          let hot = isHot !== undefined && (ctx.hotCount?.() ?? 1) > 0;
          let seenBatch = batchNo;
          for (let i = 0; i < names.length; i++) {
            const name = names[i]!;
            const seg = plain ? name : segmentOf(local, name);
            if (batchNo !== seenBatch) {
              // A hand-over yielded to the event loop: the watcher may have seen new writes since.
              seenBatch = batchNo;
              hot = isHot !== undefined && (ctx.hotCount?.() ?? 1) > 0;
            }
            const childView = maybeLong || filters.hasExclude || hot || types[i] === K_DIR ? joinView(dirView, seg) : '';
            if (maybeLong && tooLong(local, name, childView)) continue;
            if (filters.hasExclude && filters.excluded(childView)) continue;
            const t = types[i]!;
            if (t === K_VANISHED) {
              issues.report('vanished', prefix + name, 'vanished between listing and stat', 'ENOENT');
              continue;
            }
            if (t === K_DIR || isDirNumbers(st, i)) {
              if (!subdir(prefix + name, name, seg, childView || joinView(dirView, seg))) continue;
            } else {
              if (!filters.fileName(seg)) continue;
              if (hot && isHot!(childView)) continue;
              b.rowFromNumbers(dirView, dirMtime, observed, seg, st, i);
            }
            progress.entriesScanned++;
            if ((b.count >= batchSize || (++n & 1023) === 0) && (yield* pause())) break;
          }
        }
        if (!listed) {
          let listing = await (it.listing ?? listDir(fs, it.local, issues));
          let entries: Dirent[] | Dirent<Buffer>[] | undefined = listing.entries;
          if (entries !== undefined && entries.some((d) => mayBeLossy(d.name))) {
            // Node replaced undecodable bytes by U+FFFD (lossy, could merge names): re-read as bytes.
            listing = await listDir(fs, it.local, issues, true);
            entries = listing.raw;
          }
          if (listing.error !== undefined || entries === undefined) {
            if (wasStart) ctx.onStartFailure(listing.error);
            else issues.fromError(listing.error, it.local, 'read directory');
            // Its children were not listed: in an audit say so, so Fusion deletes nothing below it.
            if (audit) self[6] = true;
            continue;
          }
          for (const d of entries) {
            const name = d.name;
            const seg = segmentOf(it.local, name);
            const childView = dirView === '/' ? '/' + seg : dirView + '/' + seg;
            if (tooLong(it.local, name, childView)) continue;
            if (filters.hasExclude && filters.excluded(childView)) continue;
            const childLocal = joinLocal(it.local, name);
            // As in the stat worker: a listed directory is entered, anything else is lstat()ed and
            // its lstat decides what it is (DT_UNKNOWN on some network file systems, specials, links).
            let st: Stats | undefined;
            if (!d.isDirectory()) {
              const r = statChild(fs, issues, childLocal);
              if (r === 'failed') incomplete = true;
              if (typeof r === 'string') continue;
              st = r;
            }
            if (st === undefined || st.isDirectory()) {
              if (!subdir(childLocal, name, seg, childView, st)) continue;
            } else {
              if (!filters.fileName(seg)) continue;
              if (isHot !== undefined && isHot(childView)) continue;
              b.rowFromStats(dirView, dirMtime, observed, seg, st);
            }
            progress.entriesScanned++;
            if ((b.count >= batchSize || (++n & 1023) === 0) && (yield* pause())) break;
          }
        }
        if (incomplete && audit) {
          // The entry already handed over is no longer ours to change: send it again, marked.
          if (dirBatchNo === batchNo) self[6] = true;
          else b.dirAgain(dirView, dirMtime, ctx.now(), [self[0], self[1], self[2], self[3], self[4], self[5], true]);
        }
        if (audit && ctx.recursive && !incomplete && !progress.aborted) {
          if (ctx.now() - dirMtime >= HOT_DIR_MS) audit.remember(dirView, dirMtime, subdirs);
          else audit.forget(dirView);
        }
      }
      const t = performance.now();
      if (b.count >= batchSize || t - lastBreath > BREATH_MS) yield* pause();
      if (t - lastProgress > PROGRESS_EVERY_MS) emitProgress(false);
    }
    if (b.count > 0 && !progress.aborted) yield b.take();
    finished = true;
  } finally {
    // Reached on normal end, on abort, on a fatal root error and when the consumer stops iterating
    // (return()): anything but the natural end counts as aborted, so callers never trust a partial walk.
    if (!finished) progress.aborted = true;
    for (let i = head; i < queue.length; i++) queue[i]?.listing?.catch(() => undefined);
    emitProgress(true);
  }
}

function joinView(parent: string, seg: string): string {
  return parent === '/' ? '/' + seg : parent + '/' + seg;
}
