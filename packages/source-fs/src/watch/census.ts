// Directory-only walk at start: which directories exist (watch selection) and their mtimes (drift).

import type { Dirent } from 'node:fs';
import { setImmediate as breathe } from 'node:timers/promises';
import { joinLocal, type FsLayer, type LocalPath } from '../fs-layer.js';
import type { Filters } from '../filters.js';
import type { IssueReporter } from '../issues.js';
import { encodeName, encodeNameBytes, mayBeLossy, needsEncoding } from '../names.js';
import { listDir } from '../scan/list-dir.js';

export interface DirInfo {
  local: LocalPath;
  view: string;
  mtimeMs: number;
}

export interface CensusResult {
  dirs: DirInfo[];
  /** False when `limit` cut the walk short. */
  complete: boolean;
}

/**
 * Breadth-first with sync listings (a census is thousands of tiny directories: sync readdir costs a
 * few µs each, an async one a thread-pool round trip), yielding to the event loop every 15 ms;
 * files are never stat()ed (d_type says which entries are directories). Stops after `limit`.
 */
export async function census(
  fs: FsLayer, root: string, filters: Filters, issues: IssueReporter, limit: number, signal?: AbortSignal,
): Promise<CensusResult> {
  const out: DirInfo[] = [];
  const rootSt = fs.lstatSync(root);
  if (rootSt === undefined || !rootSt.isDirectory()) return { dirs: out, complete: false };
  out.push({ local: root, view: '/', mtimeMs: rootSt.mtimeMs });
  // Leaf skipping: where st_nlink counts subdirectories (ext4, xfs, tmpfs: 2 + subdirs), a directory
  // with nlink 2 has none and need not be read — most directories of a big tree are leaves, and
  // reading them was two thirds of start(). Not every file system counts (btrfs says 1, some NFS
  // servers anything), so it is trusted only after the root's nlink matched its listed subdirectories,
  // and only on the root's device (a mount below may behave differently).
  let trustNlink = false;
  /** nlink of out[i] when it may be a leaf on the root's device, else 0. */
  const links: number[] = [0];
  let lastBreath = performance.now();
  // `out` doubles as the breadth-first queue: entries after `next` are still to be listed.
  let next = 0;
  while (next < out.length && out.length < limit && !signal?.aborted) {
    const isRoot = next === 0;
    if (trustNlink && links[next] === 2) {
      next++;
      continue;
    }
    const dir = out[next++]!;
    let entries: Dirent[] | Dirent<Buffer>[];
    try {
      entries = fs.readdirSync(dir.local);
      if (entries.some((d) => mayBeLossy(d.name))) {
        const raw = await listDir(fs, dir.local, issues, true);
        if (raw.error !== undefined) throw raw.error;
        entries = raw.raw!;
      }
    } catch (err) {
      issues.fromError(err, dir.local, 'read directory');
      continue;
    }
    if (isRoot && rootSt.nlink >= 2) {
      let subdirs = 0;
      for (const d of entries) if (d.isDirectory()) subdirs++;
      trustNlink = rootSt.nlink === 2 + subdirs;
    }
    for (const d of entries) {
      if (!d.isDirectory()) continue;
      const name = d.name;
      const seg = typeof name !== 'string' ? encodeNameBytes(name).segment : needsEncoding(name) ? encodeName(name).segment : name;
      const view = dir.view === '/' ? '/' + seg : dir.view + '/' + seg;
      if (filters.hasExclude && filters.excluded(view)) continue;
      const local = joinLocal(dir.local, name);
      let st;
      try {
        st = fs.lstatSync(local);
      } catch (err) {
        issues.fromError(err, local, 'stat directory');
        continue;
      }
      if (st === undefined || !st.isDirectory()) continue;
      out.push({ local, view, mtimeMs: st.mtimeMs });
      links.push(st.dev === rootSt.dev ? st.nlink : 0);
      if (out.length >= limit) break;
    }
    if (performance.now() - lastBreath > 15) {
      await breathe();
      lastBreath = performance.now();
    }
  }
  return { dirs: out, complete: next >= out.length };
}
