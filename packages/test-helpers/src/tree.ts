// Declarative temp trees: a spec of relative paths → contents is written with plain fs calls, as a user's tools would.

import { mkdirSync, mkdtempSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A file's content, or its content with a modification time; `null` or a key ending in '/' is a directory. */
export type TreeEntry = string | Buffer | null | { content?: string | Buffer; mtime?: Date | number };

/** Relative path → entry, e.g. `{ 'a/b.dat': 'x', 'empty/': null, 'old.txt': { content: 'y', mtime: 1e12 } }`. */
export type TreeSpec = Record<string, TreeEntry>;

/** Writes `spec` under root, creating parent directories; returns root. */
export function writeTree(root: string, spec: TreeSpec): string {
  for (const [rel, entry] of Object.entries(spec)) {
    const abs = join(root, rel);
    if (rel.endsWith('/') || entry === null) {
      mkdirSync(abs, { recursive: true });
      continue;
    }
    mkdirSync(dirname(abs), { recursive: true });
    const isObject = typeof entry === 'object' && !Buffer.isBuffer(entry);
    writeFileSync(abs, isObject ? entry.content ?? '' : entry);
    if (isObject && entry.mtime !== undefined) utimesSync(abs, entry.mtime, entry.mtime);
  }
  return root;
}

export interface TempTree {
  /** The temp directory (realpath'd, so it compares equal to paths the OS reports). */
  dir: string;
  /** Writes more entries under dir. */
  write(spec: TreeSpec): void;
  cleanup(): void;
}

/** A fresh temp directory holding `spec`; the caller removes it with cleanup(). */
export function tempTree(spec: TreeSpec = {}, prefix = 'fustor-test-'): TempTree {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  writeTree(dir, spec);
  return {
    dir,
    write: (more) => void writeTree(dir, more),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A deterministic tree of `dirs` directories with `perDir` files each, named `<prefix>NNN/fNNNN.dat`, sizes
 * varying with the index; returns the number of files.
 */
export function generateTree(root: string, dirs: number, perDir: number, prefix = 'd'): number {
  const spec: TreeSpec = {};
  for (let d = 0; d < dirs; d++) {
    const dir = `${prefix}${String(d).padStart(3, '0')}`;
    spec[`${dir}/`] = null;
    for (let f = 0; f < perDir; f++) spec[`${dir}/f${String(f).padStart(4, '0')}.dat`] = 'x'.repeat((d * 7 + f * 13) % 97);
  }
  writeTree(root, spec);
  return dirs * perDir;
}
