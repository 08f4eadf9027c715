// Small synchronous listing for directories that just appeared, and raw-name decoding for events.

import { readdirSync } from 'node:fs';
import type { LocalPath } from '../fs-layer.js';
import type { IssueReporter } from '../issues.js';
import { encodeNameBytes, encodeName, mayBeLossy, needsEncoding } from '../names.js';

export interface NamedEntry {
  /** Local name: a string when it is valid UTF-8, else the raw bytes. */
  name: string | Buffer;
  segment: string;
  invalid: boolean;
}

/** Decodes a raw name from the kernel into its local form and view segment. */
export function nameOf(raw: Buffer): NamedEntry {
  const s = raw.toString('utf8');
  if (!needsEncoding(s)) return { name: s, segment: s, invalid: false };
  const e = encodeNameBytes(raw);
  return { name: mayBeLossy(s) && !Buffer.from(s).equals(raw) ? raw : s, segment: e.segment, invalid: e.invalid };
}

/** Names in a directory (sync: a new directory is small, and its listing must not race later events). */
export function listDirSync(dir: LocalPath, issues: IssueReporter): NamedEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
    if (names.some(mayBeLossy)) return readdirSync(dir, { encoding: 'buffer' }).map(nameOf);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') issues.fromError(err, dir, 'read new directory');
    return [];
  }
  return names.map((n) => {
    if (!needsEncoding(n)) return { name: n, segment: n, invalid: false };
    const e = encodeName(n);
    return { name: n, segment: e.segment, invalid: e.invalid };
  });
}
