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
  let lastBreath = performance.now();
  // `out` doubles as the breadth-first queue: entries after `next` are still to be listed.
  let next = 0;
  while (next < out.length && out.length < limit && !signal?.aborted) {
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
      if (out.length >= limit) break;
    }
    if (performance.now() - lastBreath > 15) {
      await breathe();
      lastBreath = performance.now();
    }
  }
  return { dirs: out, complete: next >= out.length };
}
