// Resolves a view path to a local entry strictly inside the root (on-demand scans, sentinel).

import type { Stats } from 'node:fs';
import { normalizeViewPath, parentOf } from '@fustor/protocol';
import { OutsideRootError } from '../errors.js';
import type { FsLayer, LocalPath } from '../fs-layer.js';
import { viewToLocal } from '../local-paths.js';

export interface ResolvedTarget {
  kind: 'file' | 'dir';
  view: string;
  local: LocalPath;
  st: Stats;
  /** Absent for the root. */
  parentView?: string;
  parentMtimeMs?: number;
}

function within(real: string, root: string): boolean {
  return real === root || real.startsWith(root === '/' ? '/' : root + '/');
}

function sameLocal(a: LocalPath, b: string): boolean {
  return typeof a === 'string' ? a === b : a.equals(Buffer.from(b));
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Async lstat (sentinel checks run many at once off the event loop); undefined when the entry is gone. */
async function lstatIfAny(fs: FsLayer, p: LocalPath): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/**
 * Throws OutsideRootError when the path is malformed, climbs with '..', or its directory resolves
 * through a symbolic link outside the root. Returns null when it does not
 * exist or is reachable only through a symbolic link inside the root (symlinks are not followed,
 * so such a path is not part of the view).
 */
export async function resolveInside(fs: FsLayer, root: string, viewPath: string): Promise<ResolvedTarget | null> {
  let view: string;
  let local: LocalPath;
  try {
    view = normalizeViewPath(viewPath);
    local = viewToLocal(root, view);
  } catch (err) {
    throw new OutsideRootError(viewPath, err instanceof Error ? err.message.replace(/^path '.*?' /, '') : 'is not a valid view path');
  }
  if (view === '/') {
    const st = await lstatIfAny(fs, local);
    return st === undefined ? null : { kind: 'dir', view, local, st };
  }
  // Only the parent is resolved: the last component is never followed (a symlink is reported as
  // the link itself, like the scans do), so it cannot lead anywhere.
  const parentView = parentOf(view)!;
  const parentLocal = viewToLocal(root, parentView);
  let realParent: string;
  try {
    realParent = await fs.realpath(parentLocal);
  } catch (err) {
    if (isMissing(err)) return null;
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new OutsideRootError(viewPath, 'passes through a symbolic-link loop');
    throw err;
  }
  if (!within(realParent, root)) throw new OutsideRootError(viewPath, 'resolves outside the watched root through a symbolic link');
  if (!sameLocal(parentLocal, realParent)) return null;
  const [pst, st] = await Promise.all([lstatIfAny(fs, parentLocal), lstatIfAny(fs, local)]);
  if (pst === undefined || st === undefined) return null;
  return { kind: st.isDirectory() ? 'dir' : 'file', view, local, st, parentView, parentMtimeMs: pst.mtimeMs };
}
