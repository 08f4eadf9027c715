// Native backend: one non-recursive fs.watch (inotify) per chosen directory.
//
// Why this is the Linux default: chokidar 5 opens a watcher *per file* (plus a stat per file) —
// measured on a 100,000-file / 1,111-directory tree: tens of seconds to become ready and several
// hundred MB RSS against P10's 200 MB (docs/benchmarks.md, "Realtime backends"). A directory's
// inotify watch already reports its children by name, so one watch per directory is all it takes.

import { readFileSync, type FSWatcher, type Stats } from 'node:fs';
import { setImmediate as breathe } from 'node:timers/promises';
import { joinLocal, type LocalPath } from '../fs-layer.js';
import type { WatchCoverage } from '../types.js';
import { baseName, sameDir, type BackendDeps, type WatchBackend } from './backend.js';
import type { DirInfo } from './census.js';
import { Coverage } from './coverage.js';
import { KnownDirs } from './known-dirs.js';
import { listDirSync, nameOf } from './list-sync.js';

/** fs.inotify.max_user_watches, or no limit when it cannot be read (not Linux, no /proc). */
function kernelWatchLimit(): number {
  try {
    const n = Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : Number.MAX_SAFE_INTEGER;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

/** Watches a background start adds per event-loop turn (~5–8 ms of work). */
const DRAIN_PER_TURN = 256;

/** Most directories the catch-up listing of one new directory follows (a huge moved-in tree is left to the audit). */
const CATCH_UP_MAX_DIRS = 10_000;

type Identity = Pick<Stats, 'dev' | 'ino' | 'birthtimeMs'>;

interface WatchNode {
  view: string;
  local: LocalPath;
  handle: FSWatcher;
  /** Which directory the watch is on (inotify watches follow the inode, not the name). */
  id: Identity;
}

export class NativeBackend implements WatchBackend {
  #d: BackendDeps;
  /** Watched directories by view path. */
  #nodes = new Map<string, WatchNode>();
  #known = new KnownDirs();
  /** Directories whose own watch saw them go before their parent's watch reported it. */
  #goneDirs = new Set<string>();
  /**
   * Chosen directories whose watch is still to be added (a background start), by view path. They
   * count as covered: each is watched before anything reads it — the snapshot asks for a
   * directory's watch right before listing it (ensureWatched), the rest follow a few hundred per
   * event-loop turn.
   */
  #pending = new Map<string, LocalPath>();
  #draining: Promise<void> = Promise.resolve();
  readonly #cov = new Coverage(() => this.#nodes.size + this.#pending.size, (c) => this.#d.onCoverage(c));
  #max = 0;

  constructor(deps: BackendDeps) {
    this.#d = deps;
  }

  /**
   * Watches the most recently modified of `dirs` (up to the budget): all active on return, or, with
   * `background`, added from now on (see #pending) so the snapshot need not wait for thousands of
   * watches before its first listing (~0.3 s at 10,000 directories, docs/benchmarks.md P3).
   */
  async start(dirs: DirInfo[], background = false): Promise<void> {
    // Never plan beyond the kernel's per-user watch limit: past it, watches would fail in census
    // order instead of leaving out the least recently modified directories.
    const kernel = kernelWatchLimit();
    const max = Math.min(this.#d.maxWatchedDirs, kernel);
    this.#max = max;
    if (dirs.length > kernel && kernel < this.#d.maxWatchedDirs) {
      this.#d.issues.report('watch_limit', this.#d.root, `the tree has ${dirs.length} directories but fs.inotify.max_user_watches is ${kernel}: watching the ${kernel} most recently modified (raise the sysctl for full realtime coverage)`);
    }
    this.#cov.knownDirs = dirs.length;
    for (const d of dirs) this.#known.add(d.view);
    const chosen = dirs.length <= max ? dirs : [...dirs].sort((a, b) => b.mtimeMs - a.mtimeMs).slice(0, max);
    if (background) {
      for (const d of chosen) this.#pending.set(d.view, d.local);
      // The first turn's watches are added before this returns (a small tree: all of them), then
      // the coverage is reported, as in a start without background.
      this.#draining = this.#drain();
      this.#cov.report(true);
      return;
    }
    for (const d of chosen) {
      if (this.#cov.closed) break;
      this.#watch(d.view, d.local);
    }
    this.#cov.report(true);
  }

  /** Adds the watch of a chosen directory now if it is still pending (before a scan lists it). */
  ensureWatched(view: string): void {
    const local = this.#pending.get(view);
    if (local === undefined) return;
    this.#pending.delete(view);
    this.#watch(view, local);
  }

  settled(): Promise<void> {
    return this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#pending.size > 0 && !this.#cov.closed) {
      let n = 0;
      for (const [view, local] of this.#pending) {
        this.#pending.delete(view);
        this.#watch(view, local);
        if (++n >= DRAIN_PER_TURN) break;
      }
      await breathe();
    }
    this.#pending.clear();
  }

  setKnownDirs(n: number): void {
    this.#cov.knownDirs = n;
    this.#cov.report(false);
  }

  coverage(): WatchCoverage {
    return this.#cov.get();
  }

  async close(): Promise<void> {
    this.#cov.closed = true;
    this.#pending.clear();
    for (const n of this.#nodes.values()) n.handle.close();
    this.#nodes.clear();
    this.#known.clear();
  }

  // ---- watch bookkeeping ------------------------------------------------------------------

  #watch(view: string, local: LocalPath): boolean {
    if (this.#nodes.has(view)) return true;
    if (this.#nodes.size >= this.#max || this.#cov.closed) return false;
    let handle: FSWatcher;
    let st: Stats | undefined;
    try {
      handle = this.#d.fs.watch(local, (type, name) => this.#onEvent(view, type, name));
      st = this.#d.fs.lstatSync(local);
    } catch (err) {
      this.#onError(err, local);
      return false;
    }
    handle.on('error', (err) => {
      this.#onError(err, local);
      this.#unwatchOne(view);
    });
    const id = { dev: st?.dev ?? 0, ino: st?.ino ?? 0, birthtimeMs: st?.birthtimeMs ?? 0 };
    this.#nodes.set(view, { view, local, handle, id });
    this.#known.add(view);
    return true;
  }

  #unwatchOne(view: string): void {
    const n = this.#nodes.get(view);
    if (n === undefined) return;
    n.handle.close();
    this.#nodes.delete(view);
  }

  /** Forgets a removed, moved-away or replaced directory and everything below it. */
  #dropSubtree(view: string): void {
    const removed = this.#known.removeSubtree(view, (v) => this.#unwatchOne(v));
    this.#d.reporter.forgetUnder(view);
    this.#cov.knownDirs = Math.max(0, this.#cov.knownDirs - removed);
    this.#cov.report(false);
  }

  // ---- events -----------------------------------------------------------------------------

  #onEvent(dirView: string, type: string, raw: Buffer | null): void {
    const node = this.#nodes.get(dirView);
    if (node === undefined || this.#cov.closed) return;
    if (raw === null || raw.length === 0) {
      this.#d.issues.report('watch_error', node.local, 'event without a file name (kernel queue overflow?); the audit covers it');
      return;
    }
    const { name, segment, invalid } = nameOf(raw);
    const view = dirView === '/' ? '/' + segment : dirView + '/' + segment;
    const local = joinLocal(node.local, name);
    if (invalid) this.#d.issues.report('invalid_name', local, `name encoded as '${segment}'`);
    if (this.#d.filters.hasExclude && this.#d.filters.excluded(view)) return;
    const r = this.#d.reporter;
    // 'change' = IN_MODIFY / IN_ATTRIB of a child that is not a directory (a directory's events
    // carry IN_ISDIR, which libuv reports as 'rename'): a write or a metadata change.
    if (type === 'change') {
      if (r.modified(view, segment, local) === 'gone') this.#isSelfEvent(node, segment);
      return;
    }
    // 'rename': created, deleted, moved in or out, or (directories) an attribute change.
    const st = r.lstat(local);
    if (st === undefined) {
      if (this.#isSelfEvent(node, segment)) return;
      r.entriesChanged(dirView, node.local);
      const wasDir = this.#known.has(view) || this.#goneDirs.delete(view);
      if (wasDir) this.#dropSubtree(view);
      r.deleted(view, wasDir);
      return;
    }
    r.entriesChanged(dirView, node.local);
    if (!st.isDirectory()) return r.appeared(view, segment, local, st);
    r.dir(view, st);
    const watched = this.#nodes.get(view);
    if (watched !== undefined && !sameDir(watched.id, st)) this.#dropSubtree(view); // replaced under the same name
    if (!this.#nodes.has(view)) this.#newDir(view, local);
  }

  /**
   * libuv reports events on the watched directory itself (deleted, moved, chmod) under the
   * directory's own base name, like a child of that name. When no such child exists and the name
   * matches, it is the directory's own event: its parent's watch reports the change. The root has
   * no parent watch: its attribute changes are reported here, and its loss goes to the owner.
   */
  #isSelfEvent(node: WatchNode, segment: string): boolean {
    const isRoot = node.view === '/';
    const own = isRoot ? baseName(this.#d.root) : node.view.slice(node.view.lastIndexOf('/') + 1);
    if (segment !== own) return false;
    const r = this.#d.reporter;
    const self = r.lstat(node.local);
    if (self !== undefined && sameDir(node.id, self)) {
      // Still the same directory. An attribute change moves only ctime; a changed entry moves mtime
      // too, and then a child named like the directory went away: the caller reports it.
      if (self.ctimeMs <= self.mtimeMs) return false;
      if (isRoot) r.dir('/', self);
      return true;
    }
    if (isRoot) {
      this.#d.rootLost(self === undefined ? 'the watched root was removed or moved away' : 'the watched root was replaced by another directory');
      return true;
    }
    // Gone or replaced: drop its watches (the parent's watch emits the delete).
    this.#dropSubtree(node.view);
    if (this.#goneDirs.size > 10_000) this.#goneDirs.clear();
    this.#goneDirs.add(node.view);
    return true;
  }

  /** A directory appeared: watch it, and report what was created in it before the watch existed. */
  #newDir(view: string, local: LocalPath): void {
    const r = this.#d.reporter;
    let budget = CATCH_UP_MAX_DIRS;
    const stack: [string, LocalPath][] = [[view, local]];
    while (stack.length > 0) {
      const [v, l] = stack.pop()!;
      this.#cov.knownDirs += this.#known.has(v) ? 0 : 1;
      this.#known.add(v);
      // Watch first, then list: anything created after the listing is seen by the watch.
      if (!this.#watch(v, l)) continue;
      const entries = listDirSync(l, this.#d.issues);
      for (const e of entries) {
        const cv = v === '/' ? '/' + e.segment : v + '/' + e.segment;
        if (this.#d.filters.hasExclude && this.#d.filters.excluded(cv)) continue;
        const cl = joinLocal(l, e.name);
        const st = r.lstat(cl);
        if (st === undefined) continue;
        if (st.isDirectory()) {
          if (this.#nodes.has(cv) || --budget < 0) continue;
          r.dir(cv, st);
          stack.push([cv, cl]);
        } else r.appeared(cv, e.segment, cl, st);
      }
      // Entries made between the directory's upsert and its watch changed its mtime unseen.
      if (entries.length > 0) r.entriesChanged(v, l);
    }
    this.#cov.report(false);
  }

  #onError(err: unknown, local: LocalPath): void {
    this.#cov.watchError(this.#d.issues, err, local, ' (raise fs.inotify.max_user_watches or lower max_watched_dirs); the audit covers unwatched directories', 'watch');
  }
}
