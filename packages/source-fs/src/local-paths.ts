// Local absolute path <-> view path under the resolved root, applying the name encoding of names.ts.

import { normalizeViewPath, splitViewPath } from '@fustor/protocol';
import { decodeSegment, encodeName, needsEncoding } from './names.js';
import { joinLocal, type LocalPath } from './fs-layer.js';

/** View path of a local path (string, as the watcher reports it); null when outside the root. */
export function localToView(root: string, abs: string): string | null {
  if (abs === root) return '/';
  const prefix = root === '/' ? '/' : root + '/';
  if (!abs.startsWith(prefix)) return null;
  const rest = abs.slice(prefix.length);
  if (!needsEncoding(rest)) return '/' + rest;
  return '/' + rest.split('/').map((s) => (needsEncoding(s) ? encodeName(s).segment : s)).join('/');
}

/**
 * Local path of a view path. Throws RangeError for a malformed view path or one with '..'
 * (the caller turns it into OutsideRootError).
 */
export function viewToLocal(root: string, view: string): LocalPath {
  const norm = normalizeViewPath(view);
  let out: LocalPath = root;
  for (const seg of splitViewPath(norm)) out = joinLocal(out, decodeSegment(seg));
  return out;
}
