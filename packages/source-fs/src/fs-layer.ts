// The few fs calls the driver makes, behind one seam so tests can inject failures (EACCES as root, races).

import * as fs from 'node:fs';
import type { Dirent, FSWatcher, Stats } from 'node:fs';
import { encodeNameBytes } from './names.js';

/** A local path: a string, or raw bytes when a name on the way is not valid UTF-8. */
export type LocalPath = string | Buffer;

export interface FsLayer {
  /** lstat; undefined when the entry does not exist (ENOENT is expected noise, not an exception). */
  lstatSync(p: LocalPath): Stats | undefined;
  /** Directory listing with file types, names decoded as UTF-8. */
  readdir(p: LocalPath): Promise<Dirent[]>;
  /** Synchronous listing (the start-up directory census: thousands of small directories). */
  readdirSync(p: LocalPath): Dirent[];
  /** Directory listing with raw byte names (used only for directories holding undecodable names). */
  readdirRaw(p: LocalPath): Promise<Dirent<Buffer>[]>;
  realpath(p: LocalPath): Promise<string>;
  lstat(p: LocalPath): Promise<Stats>;
  /** Non-recursive native watch of one directory, names as raw bytes. */
  watch(p: LocalPath, listener: (event: string, name: Buffer | null) => void): FSWatcher;
}

export const nodeFsLayer: FsLayer = Object.freeze({
  lstatSync: (p: LocalPath) => fs.lstatSync(p, { throwIfNoEntry: false }),
  readdir: (p: LocalPath) => fs.promises.readdir(p, { withFileTypes: true }),
  readdirSync: (p: LocalPath) => fs.readdirSync(p, { withFileTypes: true }),
  readdirRaw: (p: LocalPath) => fs.promises.readdir(p, { withFileTypes: true, encoding: 'buffer' }),
  realpath: (p: LocalPath) => fs.promises.realpath(p),
  lstat: (p: LocalPath) => fs.promises.lstat(p),
  watch: (p: LocalPath, listener: (event: string, name: Buffer | null) => void) =>
    fs.watch(p, { persistent: true, encoding: 'buffer' }, listener),
});

/** Joins a directory and a child name, switching to bytes when either side already is bytes. */
export function joinLocal(dir: LocalPath, name: string | Buffer): LocalPath {
  if (typeof dir === 'string' && typeof name === 'string') return dir === '/' ? '/' + name : dir + '/' + name;
  const d = typeof dir === 'string' ? Buffer.from(dir) : dir;
  const n = typeof name === 'string' ? Buffer.from(name) : name;
  const slash = d.length === 1 && d[0] === 0x2f ? Buffer.alloc(0) : Buffer.from('/');
  return Buffer.concat([d, slash, n]);
}

/** Printable, unambiguous form of a local path for issue reports (raw bytes encoded as in names.ts). */
export function showLocal(p: LocalPath): string {
  return typeof p === 'string' ? p : encodeNameBytes(p).segment;
}
