// FsSource: ties root resolution, drift, watcher and the scans together behind the types.ts contract.

import type { FileEvent, SentinelResult, UpsertEvent } from '@fustor/protocol';
import { estimateDrift } from './clock/drift.js';
import { OutsideRootError, SourceNotStartedError, SourceRootError } from './errors.js';
import { createFilters, type Filters } from './filters.js';
import { IssueReporter } from './issues.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { AuditCache } from './scan/audit-cache.js';
import { walk, type WalkStart } from './scan/walker.js';
import { upsertOf } from './scan/scan-entry.js';
import { chunkEvents, eventsChunk } from './chunks.js';
import { StatPool } from './scan/stat-pool.js';
import { sentinelCheck } from './scan/sentinel.js';
import { resolveInside } from './scan/resolve-inside.js';
import type {
  ScanChunk,
  ScanRequest,
  FsSource, FsSourceOptions, OnDemandOptions, RealtimeListener, ScanOptions, ScanProgress, WatchCoverage,
} from './types.js';
import { census } from './watch/census.js';
import { Coalescer } from './watch/coalescer.js';
import { Realtime } from './watch/realtime.js';

export function createFsSource(opts: FsSourceOptions): FsSource {
  return new FsSourceImpl(resolveOptions(opts));
}

function describe(err: unknown): { reason: string; code?: string } {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return { reason: 'does not exist', code };
    case 'ENOTDIR':
      return { reason: 'is not a directory', code };
    case 'EACCES':
    case 'EPERM':
      return { reason: 'is not readable (permission denied)', code };
    case 'ELOOP':
      return { reason: 'is a symbolic-link loop', code };
    default:
      return { reason: `cannot be read (${err instanceof Error ? err.message : String(err)})`, code };
  }
}

class FsSourceImpl implements FsSource {
  #o: ResolvedOptions;
  #filters: Filters;
  #issues: IssueReporter;
  #root: string | null = null;
  #drift = 0;
  #watcher: Realtime | null = null;
  #coalescer: Coalescer;
  #listeners = new Set<RealtimeListener>();
  #auditCache = new AuditCache();
  #progress: ScanProgress | null = null;
  #pool: StatPool | null = null;
  #closed = false;

  constructor(o: ResolvedOptions) {
    this.#o = o;
    this.#filters = createFilters(o.filePattern, o.exclude);
    this.#issues = new IssueReporter(o.events);
    this.#coalescer = new Coalescer(o.coalesceMs, (events) => this.#deliver(events));
  }

  get root(): string {
    return this.#root ?? this.#o.root;
  }

  get driftMs(): number {
    return this.#drift;
  }

  now(): number {
    return this.#o.clock() + this.#drift;
  }

  async start(): Promise<void> {
    if (this.#root !== null) return;
    const o = this.#o;
    let real: string;
    try {
      real = await o.fs.realpath(o.root);
      const st = o.fs.lstatSync(real);
      if (st === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      await o.fs.readdir(real);
    } catch (err) {
      const d = describe(err);
      throw new SourceRootError(o.root, d.reason, d.code);
    }
    // The scan workers boot (~50–100 ms of a thread each) while the census, the watches and the
    // session's opening go on: a snapshot usually follows at once, and its walk waited for them
    // (P3 start-up, docs/benchmarks.md).
    this.#statPool();
    const c = await census(
      o.fs, real, this.#filters, this.#issues, o.realtime ? Number.MAX_SAFE_INTEGER : Math.max(1, o.driftSampleDirs),
    );
    this.#drift = estimateDrift(
      o.driftSampleDirs >= c.dirs.length ? c.dirs.map((d) => d.mtimeMs) : mostRecent(c.dirs.map((d) => d.mtimeMs), o.driftSampleDirs),
      o.clock(),
    ).driftMs;
    this.#root = real;
    if (o.realtime && !this.#closed) {
      const w = new Realtime({
        kind: o.watcher, configuredRoot: o.root, root: real, fs: o.fs, filters: this.#filters, issues: this.#issues,
        settleMs: o.writeSettleMs, maxWatchedDirs: o.maxWatchedDirs, now: () => this.now(),
        emit: (ev) => this.#coalescer.push(ev),
        onCoverage: (cov) => o.events?.coverage?.(cov),
        onRestored: (root, reason) => {
          this.#root = root;
          this.#auditCache.clear();
          o.events?.rescanNeeded?.(reason);
        },
      });
      this.#watcher = w;
      // In the background: the snapshot does not wait for every watch, it has each directory's watch
      // added right before it lists it (walker beforeList), so nothing it lists goes unwatched.
      await w.start(c.dirs, true);
    } else {
      o.events?.coverage?.(this.coverage());
    }
  }

  async watchesSettled(): Promise<void> {
    await this.#watcher?.settled();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const w = this.#watcher;
    this.#watcher = null;
    if (w) await w.close();
    this.#coalescer.close();
    this.#listeners.clear();
    const pool = this.#pool;
    this.#pool = null;
    if (pool) await pool.close();
  }

  onRealtime(listener: RealtimeListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  coverage(): WatchCoverage {
    if (this.#watcher) return this.#watcher.coverage();
    return { watchedDirs: 0, knownDirs: 0, canRealtime: false };
  }

  snapshot(opts?: ScanOptions): AsyncIterable<UpsertEvent[]> {
    return asEvents(this.#scanRoot('snapshot', opts));
  }

  audit(opts?: ScanOptions): AsyncIterable<UpsertEvent[]> {
    return asEvents(this.#scanRoot('audit', opts));
  }

  scanListings(scan: ScanRequest, opts?: ScanOptions): AsyncIterable<ScanChunk> {
    if (scan.kind === 'on_demand') return this.#scanPath(scan.path, { ...opts, recursive: scan.recursive });
    return this.#scanRoot(scan.kind, opts);
  }

  clearAuditCache(): void {
    this.#auditCache.clear();
  }

  scanPath(viewPath: string, opts?: OnDemandOptions): AsyncIterable<UpsertEvent[]> {
    return asEvents(this.#scanPath(viewPath, opts));
  }

  async sentinel(viewPaths: string[]): Promise<SentinelResult[]> {
    const root = this.#requireRoot('sentinel');
    return sentinelCheck(this.#o.fs, root, viewPaths);
  }

  progress(): ScanProgress | null {
    const p = this.#progress;
    return p === null || p.done ? null : { ...p };
  }

  // ---- internals --------------------------------------------------------------------------

  #requireRoot(method: string): string {
    if (this.#root === null) throw new SourceNotStartedError(method);
    return this.#root;
  }

  #deliver(events: FileEvent[]): void {
    for (const l of this.#listeners) {
      try {
        l(events);
      } catch {
        // A failing listener must not stop the others nor the watcher.
      }
    }
  }

  async *#scanRoot(phase: 'snapshot' | 'audit', opts?: ScanOptions): AsyncGenerator<ScanChunk> {
    const root = this.#requireRoot(phase);
    if (phase === 'audit') this.#auditCache.beginPass();
    let last: ScanProgress | null = null;
    yield* this.#walk(phase, { local: root, view: '/' }, true, opts?.signal, true, (p) => (last = p), opts?.packedRows === true);
    const fin = last as ScanProgress | null;
    const complete = fin !== null && !fin.aborted;
    if (phase === 'audit') this.#auditCache.endPass(complete && fin.issues === 0);
    if (complete) this.#watcher?.setKnownDirs(fin.dirsScanned);
  }

  async *#scanPath(viewPath: string, opts?: OnDemandOptions): AsyncGenerator<ScanChunk> {
    const root = this.#requireRoot('scanPath');
    const target = await resolveInside(this.#o.fs, root, viewPath);
    if (target === null) return; // missing, or reachable only through a symlink inside the root
    const recursive = opts?.recursive ?? true;
    if (target.kind === 'file') {
      const f = target;
      if (!this.#filters.fileName(f.view.slice(f.view.lastIndexOf('/') + 1)) || this.#filters.excluded(f.view)) return;
      yield eventsChunk([upsertOf(f.view, f.st, this.now(), f.parentView, f.parentMtimeMs)]);
      return;
    }
    if (target.view !== '/' && this.#filters.excluded(target.view)) return;
    const start: WalkStart = { local: target.local, view: target.view };
    if (target.parentView !== undefined) {
      start.parentView = target.parentView;
      start.parentMtimeMs = target.parentMtimeMs;
    }
    yield* this.#walk('on_demand', start, recursive, opts?.signal, false, () => undefined);
  }

  /** Started by start() (or the first full scan) and kept (idle workers cost no CPU). */
  #statPool(): StatPool | undefined {
    const o = this.#o;
    if (o.scanWorkers === 0 || o.fsInjected || this.#closed) return undefined;
    this.#pool ??= new StatPool(o.scanWorkers);
    return this.#pool;
  }

  #walk(
    phase: ScanProgress['phase'], start: WalkStart, recursive: boolean, signal: AbortSignal | undefined,
    fatalStart: boolean, onEnd: (p: ScanProgress) => void, packedRows = false,
  ): AsyncGenerator<ScanChunk> {
    const o = this.#o;
    const gen = walk({
      fs: o.fs, filters: this.#filters, issues: this.#issues, now: () => this.now(), batchSize: o.batchSize,
      concurrency: o.scanConcurrency, phase, recursive, signal,
      isHot: (v) => this.#watcher?.isHot(v) ?? false,
      beforeList: (v) => this.#watcher?.ensureWatched(v),
      hotCount: () => this.#watcher?.hotCount() ?? 0,
      auditCache: phase === 'audit' ? this.#auditCache : undefined,
      pool: phase === 'on_demand' ? undefined : this.#statPool(),
      packedRows,
      onProgress: (p) => {
        this.#progress = p;
        if (p.done) onEnd(p);
        o.events?.progress?.(p);
      },
      onStartFailure: (err) => {
        if (fatalStart) {
          const d = describe(err);
          throw new SourceRootError(this.root, d.reason, d.code);
        }
        this.#issues.fromError(err, start.local, 'scan');
      },
    }, start);
    return gen;
  }
}

function mostRecent(values: number[], n: number): number[] {
  return values.sort((a, b) => b - a).slice(0, n);
}

/** A scan's chunks as upsert events (the event-form API). */
async function* asEvents(chunks: AsyncIterable<ScanChunk>): AsyncGenerator<UpsertEvent[]> {
  for await (const c of chunks) yield chunkEvents(c);
}
