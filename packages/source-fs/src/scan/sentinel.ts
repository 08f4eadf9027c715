// Sentinel check: re-stat suspect view paths (never following a symlink out of the root).

import PQueue from 'p-queue';
import type { SentinelResult } from '@fustor/protocol';
import type { FsLayer } from '../fs-layer.js';
import { metaOf } from '../meta.js';
import { resolveInside } from './resolve-inside.js';

/**
 * Re-stats in flight at once: enough to overlap the latency of a network file system, few enough
 * that a long suspect list never floods libuv's thread pool (which the agent's other I/O shares).
 */
export const SENTINEL_CONCURRENCY = 8;

/**
 * Results come back in input order. A path that no longer exists, is malformed or escapes the root
 * answers exists:false: the sentinel reports facts about the view, and such a path is not (or no
 * longer) in it. An existing entry carries the same metadata as a scan upsert of it (meta.ts).
 */
export function sentinelCheck(fs: FsLayer, root: string, viewPaths: string[]): Promise<SentinelResult[]> {
  const queue = new PQueue({ concurrency: SENTINEL_CONCURRENCY });
  return Promise.all(viewPaths.map((path) => queue.add(() => checkOne(fs, root, path))));
}

async function checkOne(fs: FsLayer, root: string, path: string): Promise<SentinelResult> {
  let t;
  try {
    t = await resolveInside(fs, root, path);
  } catch {
    t = null;
  }
  if (t === null) return { path, exists: false };
  const m = metaOf(t.st);
  const r: SentinelResult = { path, exists: true, mtime_ms: t.st.mtimeMs };
  if (m.kind !== 'dir') r.size = t.st.size;
  r.kind = m.kind;
  r.uid = m.uid;
  r.gid = m.gid;
  r.mode = m.mode;
  r.ctime_ms = m.ctime_ms;
  return r;
}
