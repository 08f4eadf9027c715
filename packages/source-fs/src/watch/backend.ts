// The seam between the realtime layer and a notification mechanism: native inotify or chokidar.

import type { Stats } from 'node:fs';
import type { Filters } from '../filters.js';
import type { FsLayer } from '../fs-layer.js';
import type { IssueReporter } from '../issues.js';
import type { WatchCoverage, WatcherKind } from '../types.js';
import type { DirInfo } from './census.js';
import type { ChangeReporter } from './reporter.js';

export interface BackendDeps {
  /** The resolved (realpath) root. */
  root: string;
  fs: FsLayer;
  filters: Filters;
  issues: IssueReporter;
  maxWatchedDirs: number;
  /** Where every observation goes: both backends describe changes through the same reporter. */
  reporter: ChangeReporter;
  onCoverage(c: WatchCoverage): void;
  /** The root itself was removed, moved away or replaced: the owner closes this backend and starts over. */
  rootLost(reason: string): void;
}

export interface WatchBackend {
  /**
   * Starts watching (`dirs`: the start-up census, root first); resolves once watches are active, or
   * with `background` (where the backend supports it) once they are planned: each is then added
   * before ensureWatched returns for it, or soon after.
   */
  start(dirs: DirInfo[], background?: boolean): Promise<void>;
  /** Adds a planned watch now (a scan is about to list that directory); absent: watches are never deferred. */
  ensureWatched?(view: string): void;
  /** Resolves once no planned watch is pending. */
  settled?(): Promise<void>;
  /** After a complete scan: the true number of directories (excluded ones not counted). */
  setKnownDirs(n: number): void;
  coverage(): WatchCoverage;
  close(): Promise<void>;
}

/** Loads the chosen backend; chokidar's module is imported only when it is the one chosen. */
export async function createBackend(kind: WatcherKind, deps: BackendDeps): Promise<WatchBackend> {
  if (kind === 'chokidar') {
    const { ChokidarBackend } = await import('./chokidar-backend.js');
    return new ChokidarBackend(deps);
  }
  const { NativeBackend } = await import('./native-backend.js');
  return new NativeBackend(deps);
}

/**
 * Whether two lstats of the root are the same directory. Inode numbers alone do not say it: ext4
 * hands a just-freed inode to the next mkdir (`rm -rf ROOT; mkdir ROOT` keeps the number), so the
 * birth time decides where the file system reports one.
 */
export function sameDir(a: Pick<Stats, 'dev' | 'ino' | 'birthtimeMs'>, b: Stats): boolean {
  if (a.dev !== b.dev || a.ino !== b.ino || !b.isDirectory()) return false;
  return a.birthtimeMs === 0 || b.birthtimeMs === 0 || a.birthtimeMs === b.birthtimeMs;
}

/** The base name of an absolute local path ('/' for the file-system root). */
export function baseName(p: string): string {
  return p === '/' ? '/' : p.slice(p.lastIndexOf('/') + 1);
}
