// View paths: the one canonical spelling of a location inside a watched root (protocol.md, "Protocol").

import { sep as osSep } from 'node:path';

export const MAX_PATH_BYTES = 4096;
export const ROOT_PATH = '/';

/** What a lone surrogate in a path or any other string is told (it cannot be stored, echoed as JSON or deleted). */
export const NOT_UNICODE_PROBLEM = 'must be valid Unicode text: a lone surrogate (such as \\ud800) cannot round-trip; the agent percent-encodes such names (docs/source-fs.md, "Names")';

/** True when `s` holds no lone surrogate (String.prototype.isWellFormed, ES2024, native in Node 20). */
export function isWellFormedText(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** Returns null when `p` is a valid view path, otherwise a sentence saying what is wrong. */
export function viewPathProblem(p: unknown): string | null {
  if (typeof p !== 'string') return 'must be a string';
  if (p.length === 0) return "must not be empty (the root is '/')";
  if (p.charCodeAt(0) !== 47) return "must start with '/'";
  if (p.length === 1) return null;
  if (p.includes('\0')) return 'must not contain NUL';
  if (!isWellFormedText(p)) return NOT_UNICODE_PROBLEM;
  if (p.length > MAX_PATH_BYTES / 3 && Buffer.byteLength(p, 'utf8') > MAX_PATH_BYTES) {
    return `must be at most ${MAX_PATH_BYTES} bytes`;
  }
  if (p.charCodeAt(p.length - 1) === 47) return "must not end with '/'";
  let start = 1;
  for (let i = 1; i <= p.length; i++) {
    if (i === p.length || p.charCodeAt(i) === 47) {
      const len = i - start;
      if (len === 0) return "must not contain an empty segment ('//')";
      if (len <= 2) {
        const seg = p.slice(start, i);
        if (seg === '.' || seg === '..') return "must not contain '.' or '..' segments";
      }
      start = i + 1;
    }
  }
  return null;
}

export function isViewPath(p: unknown): p is string {
  return viewPathProblem(p) === null;
}

/**
 * Canonicalizes a user-supplied view path (query strings, CLI input): collapses duplicate slashes,
 * drops a trailing slash and '.' segments. '..' is refused rather than resolved, because a query
 * that climbs out of its starting point is almost always a mistake worth reporting.
 */
export function normalizeViewPath(input: string): string {
  if (input === '' || input === '/') return ROOT_PATH;
  const parts: string[] = [];
  for (const seg of input.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') throw new RangeError(`path '${input}' must not contain '..'`);
    parts.push(seg);
  }
  const out = '/' + parts.join('/');
  const problem = viewPathProblem(out);
  if (problem) throw new RangeError(`path '${input}' ${problem}`);
  return out;
}

/** Parent view path; the root's parent is null. */
export function parentOf(p: string): string | null {
  if (p === ROOT_PATH) return null;
  const i = p.lastIndexOf('/');
  return i <= 0 ? ROOT_PATH : p.slice(0, i);
}

/** Last segment of a view path; '' for the root. */
export function baseName(p: string): string {
  return p === ROOT_PATH ? '' : p.slice(p.lastIndexOf('/') + 1);
}

export function joinViewPath(parent: string, name: string): string {
  return parent === ROOT_PATH ? '/' + name : parent + '/' + name;
}

/** Segments of a view path, [] for the root. */
export function splitViewPath(p: string): string[] {
  return p === ROOT_PATH ? [] : p.slice(1).split('/');
}

/** True when `p` equals `ancestor` or lies below it. */
export function isWithin(p: string, ancestor: string): boolean {
  if (ancestor === ROOT_PATH) return true;
  return p === ancestor || (p.startsWith(ancestor) && p.charCodeAt(ancestor.length) === 47);
}

/**
 * Maps an absolute local path under `root` to its view path. Both must already be resolved the same
 * way (the source driver resolves the root through realpath once), so two mounts of one tree agree.
 * Returns null when `abs` is not under `root`.
 */
export function toViewPath(root: string, abs: string, sep: string = osSep): string | null {
  const r = root.length > 1 && root.endsWith(sep) ? root.slice(0, -1) : root;
  if (abs === r) return ROOT_PATH;
  const prefix = r === sep ? sep : r + sep;
  if (!abs.startsWith(prefix)) return null;
  const rest = abs.slice(prefix.length);
  return '/' + (sep === '/' ? rest : rest.split(sep).join('/'));
}
