// Sentinel check: re-stat suspect view paths (never following a symlink out of the root).

import type { SentinelResult } from '@fustor/protocol';
import type { FsLayer } from '../fs-layer.js';
import { resolveInside } from './resolve-inside.js';

/**
 * A path that no longer exists, is malformed or escapes the root answers exists:false: the sentinel
 * reports facts about the view, and such a path is not (or no longer) in it.
 */
export async function sentinelCheck(fs: FsLayer, root: string, viewPaths: string[]): Promise<SentinelResult[]> {
  const out: SentinelResult[] = [];
  for (const path of viewPaths) {
    let t;
    try {
      t = await resolveInside(fs, root, path);
    } catch {
      t = null;
    }
    if (t === null) {
      out.push({ path, exists: false });
      continue;
    }
    const r: SentinelResult = { path, exists: true, mtime_ms: t.st.mtimeMs };
    if (t.kind === 'file') r.size = t.st.size;
    out.push(r);
  }
  return out;
}
