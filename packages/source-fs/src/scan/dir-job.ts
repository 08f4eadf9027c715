// One directory listed and its non-directory entries lstat()ed, as numbers: the body of a stat worker's job,
// run verbatim in the worker (its source is this file's functions, see stat-pool.ts) and on the main
// thread when it takes a directory itself, so both produce identical results.
//
// Fast lstat: fs.lstatSync builds a Stats object with four Date objects per file, about a third of a
// scan's user time and most of its garbage (docs/benchmarks.md, P3). Node's own binding fills one
// shared Float64Array instead, in the layout lstatSync itself reads (mode 1, uid 3, gid 4, size 8,
// mtime 12/13, ctime 14/15 as seconds and nanoseconds). It is internal, so it is used only where it
// is present and, on a probe path, answers exactly what fs.lstatSync answers; anything else (a Node
// without it, --throw-deprecation, another layout) keeps fs.lstatSync.

import type * as NodeFs from 'node:fs';
import { MAX_TIME_MS, MIN_TIME_MS } from '@fustor/protocol';

/** Entry states in DirJobResult.types: a directory (not stat()ed here), an lstat()ed entry, or gone. */
export const K_DIR = 0;
export const K_STAT = 1;
export const K_VANISHED = 9;

/** Numbers per entry in DirJobResult.st, and their offsets. */
export const ST_STRIDE = 6;
export const ST_SIZE = 0;
export const ST_MTIME = 1;
export const ST_CTIME = 2;
export const ST_UID = 3;
export const ST_GID = 4;
/** The full st_mode: its S_IFMT bits are the kind (meta.ts kindOfMode), the low bits the permissions. */
export const ST_MODE = 5;

/** The wire's time window (protocol schemas.ts): the native job packs rows only when every time lies in it. */
export const WIRE_MIN_MS = MIN_TIME_MS;
export const WIRE_MAX_MS = MAX_TIME_MS;

export interface DirJobResult {
  /** Entry names joined by NUL (a byte no name can hold): one string clones far cheaper than many. */
  names?: string;
  types?: Uint8Array;
  /**
   * ST_STRIDE numbers per K_STAT entry (size, mtimeMs, ctimeMs, uid, gid, mode): one transferred
   * array instead of an object per file, so the metadata costs copies of numbers, not allocations.
   */
  st?: Float64Array;
  /** Redo on the main thread: listing failed, a stat failed with something else than ENOENT, or a name is lossy. */
  redo?: boolean;
  /** Set when the native job (native/list-dir.c) produced the result. */
  native?: boolean;
  /**
   * The native job's packed rows (walker.ts "packed path"): MessagePack rows (protocol listings.ts) of
   * every lstat()ed entry that is not a directory, in listing order; absent when it did not pack them.
   */
  rows?: Uint8Array;
  rowCount?: number;
  /** Distinct uid, gid pairs of those rows. */
  owners?: Uint32Array;
}

/** lstat as numbers in the binding's layout; undefined when the entry does not exist. */
export type LstatNumbers = (path: string) => Float64Array | undefined;

/**
 * The native directory job (native/list-dir.c): readdir + fstatat relative to the directory, no
 * JavaScript per entry; the same DirJobResult layout (without the U+FFFD check), or null for a redo.
 */
export interface NativeScan {
  listDir(dir: string, minTimeMs?: number, maxTimeMs?: number): {
    names: string; types: Uint8Array; st: Float64Array; rows?: Uint8Array; rowCount?: number; owners?: Uint32Array;
  } | null;
}

/** A prober's state: the native job once it agreed with the JavaScript job, or how many probes are left. */
export interface NativeState {
  scan: NativeScan | null;
  probesLeft: number;
}

/**
 * A thread's starting state: probing, or (FUSTOR_TEST_NATIVE_SCAN_TRUST=1, tests only: operations.md)
 * the native job at once, so a test's few directories run on it and not on probes.
 */
export function nativeState(load: (p: string) => unknown, path: string | null, trust: boolean): NativeState {
  if (path !== null && trust) {
    try {
      return { scan: load(path) as NativeScan, probesLeft: 0 };
    } catch {
      return { scan: null, probesLeft: 0 };
    }
  }
  return { scan: null, probesLeft: 3 }; // three tries: a file changing mid-probe fails one
}

// The functions below are serialized into the worker's source: they may use only their parameters,
// globals and the constants above (redeclared there with the same values).

/** Node's lstat binding where it exists and agrees with fs.lstatSync on `probe`; null otherwise. */
export function fastLstat(fs: typeof NodeFs, probe: string): LstatNumbers | null {
  try {
    const b = (process as unknown as { binding(name: string): { lstat?: (...a: unknown[]) => unknown } }).binding('fs');
    const lstat = b.lstat;
    if (typeof lstat !== 'function') return null;
    const v = lstat(probe, false, undefined, true);
    const s = fs.lstatSync(probe);
    if (!(v instanceof Float64Array) || v.length < 16) return null;
    const ms = (i: number): number => v[i]! * 1e3 + v[i + 1]! / 1e6;
    if (v[1] !== s.mode || v[3] !== s.uid || v[4] !== s.gid || v[8] !== s.size || ms(12) !== s.mtimeMs || ms(14) !== s.ctimeMs) return null;
    return (p: string) => lstat(p, false, undefined, false) as Float64Array | undefined;
  } catch {
    return null;
  }
}

/**
 * The job for `dir`: the native one once it has been seen to agree with the JavaScript job, else the
 * JavaScript one. While `st.probesLeft` > 0 and the addon at `path` loads, both run on the directory
 * and must give the same names, types and numbers (a file changing between the two runs fails a
 * probe, so up to three are made); the first agreement switches to the native job for good.
 */
export function runDirJob(load: (p: string) => unknown, fs: typeof NodeFs, fast: LstatNumbers | null, path: string | null, st: NativeState, dir: string): DirJobResult {
  if (st.scan !== null) {
    const r: DirJobResult | null = st.scan.listDir(dir, WIRE_MIN_MS, WIRE_MAX_MS);
    if (r === null || r.names!.includes('\uFFFD')) return { redo: true };
    r.native = true;
    return r;
  }
  const js = listDirJob(fs, fast, dir);
  if (path === null || st.probesLeft <= 0 || js.redo) return js;
  // Only a directory with at least one lstat()ed entry says anything about the numbers: an empty one,
  // or one of subdirectories only, is no probe.
  if (!js.types!.includes(K_STAT)) return js;
  st.probesLeft--;
  let n: ReturnType<NativeScan['listDir']>;
  let scan: NativeScan;
  try {
    scan = load(path) as NativeScan;
    n = scan.listDir(dir);
  } catch {
    st.probesLeft = 0;
    return js;
  }
  const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  if (n !== null && n.names === js.names && same(n.types, js.types!) && same(n.st, js.st!)) {
    st.scan = scan;
    st.probesLeft = 0;
  }
  return js;
}

/** Lists `dir` and lstats every entry its listing does not type as a directory; `redo` on anything unusual. */
export function listDirJob(fs: typeof NodeFs, fast: LstatNumbers | null, dir: string): DirJobResult {
  let ents: NodeFs.Dirent[];
  try {
    ents = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return { redo: true };
  }
  const n = ents.length;
  const names: string[] = new Array(n);
  const types = new Uint8Array(n);
  const st = new Float64Array(n * ST_STRIDE);
  const prefix = dir === '/' ? '/' : dir + '/';
  for (let i = 0; i < n; i++) {
    const d = ents[i]!;
    const name = d.name;
    names[i] = name;
    // Node replaced undecodable bytes by U+FFFD: the main thread re-reads the directory as bytes.
    if (name.includes('\uFFFD')) return { redo: true };
    if (d.isDirectory()) {
      types[i] = K_DIR;
      continue;
    }
    const o = i * ST_STRIDE;
    try {
      if (fast !== null) {
        const v = fast(prefix + name);
        if (v === undefined) {
          types[i] = K_VANISHED;
          continue;
        }
        st[o + ST_SIZE] = v[8]!;
        st[o + ST_MTIME] = v[12]! * 1e3 + v[13]! / 1e6;
        st[o + ST_CTIME] = v[14]! * 1e3 + v[15]! / 1e6;
        st[o + ST_UID] = v[3]!;
        st[o + ST_GID] = v[4]!;
        st[o + ST_MODE] = v[1]!;
      } else {
        const s = fs.lstatSync(prefix + name, { throwIfNoEntry: false });
        if (s === undefined) {
          types[i] = K_VANISHED;
          continue;
        }
        st[o + ST_SIZE] = s.size;
        st[o + ST_MTIME] = s.mtimeMs;
        st[o + ST_CTIME] = s.ctimeMs;
        st[o + ST_UID] = s.uid;
        st[o + ST_GID] = s.gid;
        st[o + ST_MODE] = s.mode;
      }
    } catch {
      // Any stat error but ENOENT: the main thread's ordinary path reports it (and retries EMFILE).
      return { redo: true };
    }
    types[i] = K_STAT;
  }
  return { names: names.join('\0'), types, st };
}
