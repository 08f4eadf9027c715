// chokidar backend: the chokidar library watches the tree (one fs.watch per directory and per file);
// its events are read into the same FileEvents as the native backend's, through the same reporter.
//
// What comes from where, and why:
// - `add` / `addDir`: new entries, including what a new or moved-in directory already held (chokidar
//   lists a directory when it starts watching it).
// - `raw` events of the directory watchers: modifications and deletions, and creations chokidar does
//   not announce. chokidar's own `change` is not used: it drops a change that leaves mtime alone
//   (chmod, chown: it filters access-time updates by comparing atime and mtime) and it stats through
//   symlinks; it also says nothing when a file is replaced by a rename (an editor's atomic save) or a
//   dangling symlink is created. The raw event names the child, which is re-`lstat`ed here.
// - No awaitWriteFinish / atomic: the reporter's settle tracker decides `is_atomic_write`, so the flag
//   means the same on both backends.
// chokidar is imported only when this backend is chosen, so the default pays nothing for it.

import type { Stats } from 'node:fs';
import type { FSWatcher } from 'chokidar';
import { localToView } from '../local-paths.js';
import { encodeName, needsEncoding } from '../names.js';
import type { WatchCoverage } from '../types.js';
import { baseName, sameDir, type BackendDeps, type WatchBackend } from './backend.js';
import type { DirInfo } from './census.js';
import { Coverage } from './coverage.js';
import { KnownDirs } from './known-dirs.js';

export class ChokidarBackend implements WatchBackend {
  #d: BackendDeps;
  #w: FSWatcher | null = null;
  /** Directories chokidar watches: view ↔ local path (raw events name the watched directory by its local path). */
  #known = new KnownDirs();
  #viewOf = new Map<string, string>();
  #localOf = new Map<string, string>();
  #rootId: Stats | undefined;
  readonly #cov = new Coverage(() => this.#localOf.size, (c) => this.#d.onCoverage(c));

  constructor(deps: BackendDeps) {
    this.#d = deps;
  }

  async start(dirs: DirInfo[]): Promise<void> {
    const { watch } = await import('chokidar');
    const root = this.#d.root;
    this.#rootId = this.#d.fs.lstatSync(root);
    // chokidar walks the same tree the census did; directories whose names are not valid UTF-8
    // (local path kept as bytes) are beyond it — left uncounted, so coverage says so honestly.
    for (const d of dirs) if (typeof d.local === 'string') this.#track(d.view, d.local);
    this.#cov.knownDirs = dirs.length;
    if (this.#cov.closed) return;
    const w = watch(root, {
      persistent: true,
      ignoreInitial: true,
      followSymlinks: false,
      usePolling: false,
      atomic: false,
      awaitWriteFinish: false,
      ignorePermissionErrors: false,
      ignored: (p: string, st?: Stats) => this.#ignored(p, st),
    });
    this.#w = w;
    w.on('add', (p: string) => this.#onAdd(p));
    w.on('addDir', (p: string) => this.#onAdd(p));
    w.on('unlinkDir', (p: string) => this.#onUnlinkDir(p));
    // The name is null when the kernel gave none (overflow), whatever chokidar's typing says.
    w.on('raw', (ev, name: string | null, details) => this.#onRaw(ev, name, (details as { watchedPath?: string } | undefined)?.watchedPath));
    w.on('error', (err: unknown) => this.#onError(err));
    await new Promise<void>((resolve) => w.once('ready', resolve));
    this.#cov.report(true);
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
    const w = this.#w;
    this.#w = null;
    if (w) await w.close();
    this.#known.clear();
    this.#viewOf.clear();
    this.#localOf.clear();
  }

  // ---- bookkeeping -------------------------------------------------------------------------

  #track(view: string, local: string): void {
    if (this.#localOf.has(view)) return;
    this.#known.add(view);
    this.#viewOf.set(local, view);
    this.#localOf.set(view, local);
  }

  #untrack(view: string): number {
    return this.#known.removeSubtree(view, (v) => {
      const l = this.#localOf.get(v);
      this.#localOf.delete(v);
      if (l !== undefined) this.#viewOf.delete(l);
    });
  }

  #ignored(p: string, st?: Stats): boolean {
    const f = this.#d.filters;
    const view = localToView(this.#d.root, p);
    if (view === null || view === '/') return false;
    if (f.hasExclude && f.excluded(view)) return true;
    // file_pattern filters files by name; without it chokidar would hold a watcher for each of them.
    return st !== undefined && !st.isDirectory() && !f.fileName(baseName(p));
  }

  // ---- events -----------------------------------------------------------------------------

  /** `add` / `addDir`: a new entry chokidar found (by an event or by listing a new directory). */
  #onAdd(p: string): void {
    const view = localToView(this.#d.root, p);
    if (this.#cov.closed || view === null || view === '/') return;
    const r = this.#d.reporter;
    const st = r.lstat(p);
    if (st === undefined) return;
    if (!st.isDirectory()) return r.appeared(view, view.slice(view.lastIndexOf('/') + 1), p, st);
    if (this.#localOf.has(view)) return;
    r.dir(view, st);
    if (!this.#known.has(view)) this.#cov.knownDirs++;
    this.#track(view, p);
    this.#cov.report(false);
  }

  /** Normally the raw event of the parent reported it first; this catches a removal raw events missed. */
  #onUnlinkDir(p: string): void {
    const view = localToView(this.#d.root, p);
    if (this.#cov.closed || view === null) return;
    if (view === '/') return void this.#checkRoot();
    if (this.#localOf.has(view)) this.#removed(view, true);
  }

  #removed(view: string, isDir: boolean): void {
    if (isDir) {
      this.#cov.knownDirs = Math.max(0, this.#cov.knownDirs - this.#untrack(view));
      this.#cov.report(false);
    }
    this.#d.reporter.deleted(view, isDir);
  }

  #onRaw(type: string, name: string | null, watchedPath: string | undefined): void {
    const dirView = watchedPath === undefined ? undefined : this.#viewOf.get(watchedPath);
    if (this.#cov.closed || dirView === undefined || watchedPath === undefined) return; // a per-file watcher: its directory's watcher says the same
    if (name === null || name === '') {
      this.#d.issues.report('watch_error', watchedPath, 'event without a file name (kernel queue overflow?); the audit covers it');
      return;
    }
    const segment = needsEncoding(name) ? encodeName(name).segment : name;
    const view = dirView === '/' ? '/' + segment : dirView + '/' + segment;
    const local = watchedPath === '/' ? '/' + name : watchedPath + '/' + name;
    if (this.#d.filters.hasExclude && this.#d.filters.excluded(view)) return;
    const r = this.#d.reporter;
    if (type === 'change') {
      if (r.modified(view, segment, local) === 'gone') this.#isSelfEvent(dirView, name);
      return;
    }
    const st = r.lstat(local);
    if (st === undefined) {
      if (this.#isSelfEvent(dirView, name)) return;
      r.entriesChanged(dirView, watchedPath);
      this.#removed(view, this.#localOf.has(view));
      return;
    }
    r.entriesChanged(dirView, watchedPath);
    if (!st.isDirectory()) r.appeared(view, segment, local, st);
    else if (this.#localOf.has(view)) r.dir(view, st); // an attribute change (a new directory comes as addDir)
  }

  /** A watched directory's own event, named by its base name (see native-backend.ts). */
  #isSelfEvent(dirView: string, name: string): boolean {
    const local = this.#localOf.get(dirView);
    if (local === undefined || name !== baseName(local)) return false;
    if (dirView === '/') return this.#checkRoot();
    // Gone, or an attribute change of its own (only ctime moved): either way its parent's watcher reports it.
    const self = this.#d.reporter.lstat(local);
    return self === undefined || self.ctimeMs > self.mtimeMs;
  }

  #checkRoot(): boolean {
    const r = this.#d.reporter;
    const self = r.lstat(this.#d.root);
    if (self !== undefined && this.#rootId !== undefined && sameDir(this.#rootId, self)) {
      if (self.ctimeMs <= self.mtimeMs) return false;
      r.dir('/', self);
      return true;
    }
    this.#d.rootLost(self === undefined ? 'the watched root was removed or moved away' : 'the watched root was replaced by another directory');
    return true;
  }

  #onError(err: unknown): void {
    if (this.#cov.closed) return;
    const where = (err as NodeJS.ErrnoException)?.path ?? this.#d.root;
    this.#cov.watchError(this.#d.issues, err, where, ': chokidar needs one watch per file and directory (raise fs.inotify.max_user_watches or use watcher: native)', 'watch (chokidar)');
  }
}
