// Small file-tree fixtures written with plain fs calls (what a user's tools would do).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes `files` (relative path → content) under root, creating parent directories. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

/** A deterministic tree of `dirs` directories with `perDir` files each (sizes vary with the index). */
export function generateTree(root: string, dirs: number, perDir: number, prefix = 'd'): number {
  let n = 0;
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, `${prefix}${String(d).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < perDir; f++) {
      writeFileSync(join(dir, `f${String(f).padStart(4, '0')}.dat`), 'x'.repeat((d * 7 + f * 13) % 97));
      n++;
    }
  }
  return n;
}
