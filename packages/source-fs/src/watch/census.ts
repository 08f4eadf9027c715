// Directory-only walk at start: which directories exist (watch selection) and their mtimes (drift).

import { setImmediate as breathe } from 'node:timers/promises';
import { joinLocal, type FsLayer, type LocalPath } from '../fs-layer.js';
import type { Filters } from '../filters.js';
import type { IssueReporter } from '../issues.js';
import { encodeName, encodeNameBytes, mayBeLossy, needsEncoding } from '../names.js';
import { listDir, type Listing } from '../scan/list-dir.js';

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
 * Breadth-first, reading up to `concurrency` directories at once; files are never stat()ed (the
 * listing's d_type says which entries are directories). Stops after `limit` directories.
 */
export async function census(
  fs: FsLayer, root: string, filters: Filters, issues: IssueReporter, concurrency: number, limit: number,
  signal?: AbortSignal,
): Promise<CensusResult> {
  const out: DirInfo[] = [];
  const rootSt = fs.lstatSync(root);
  if (rootSt === undefined || !rootSt.isDirectory()) return { dirs: out, complete: false };
  let frontier: DirInfo[] = [{ local: root, view: '/', mtimeMs: rootSt.mtimeMs }];
  out.push(frontier[0]!);
  let lastBreath = performance.now();
  while (frontier.length > 0 && out.length < limit && !signal?.aborted) {
    const next: DirInfo[] = [];
    for (let i = 0; i < frontier.length && out.length < limit; i += concurrency) {
      const slice = frontier.slice(i, i + concurrency);
      const listings: Listing[] = await Promise.all(slice.map((d) => listDir(fs, d.local, issues)));
      for (let k = 0; k < slice.length; k++) {
        const dir = slice[k]!;
        let l = listings[k]!;
        if (l.error === undefined && l.entries!.some((d) => mayBeLossy(d.name))) l = await listDir(fs, dir.local, issues, true);
        if (l.error !== undefined) {
          issues.fromError(l.error, dir.local, 'read directory');
          continue;
        }
        for (const d of l.entries ?? l.raw!) {
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
          const info = { local, view, mtimeMs: st.mtimeMs };
          out.push(info);
          next.push(info);
          if (out.length >= limit) break;
        }
      }
      if (performance.now() - lastBreath > 15) {
        await breathe();
        lastBreath = performance.now();
      }
    }
    frontier = next;
  }
  return { dirs: out, complete: frontier.length === 0 };
}
