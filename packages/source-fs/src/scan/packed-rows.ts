// Rows the native directory job packed (list-dir.c pack_rows): checked against the ordinary rows before they are trusted, and the subdirectories listed beside them.
//
// The walker sends a packed listing's bytes without looking at them, so the first few are decoded and
// compared value for value with the rows the per-entry path would build from the same numbers; one
// difference and this process never takes packed rows again (the per-entry path is always right).

import { LISTING_HEAD, ROW_WIDTH, type PackedRows } from '@fustor/protocol';
import { decodeRows } from '@fustor/protocol/listing-codec';
import { ChunkBuilder } from './chunk-builder.js';
import { K_DIR, K_STAT, type DirJobResult } from './dir-job.js';
import { isDirNumbers } from './scan-entry.js';

/** Non-empty packed listings still to compare before packed rows are taken unchecked; off after a difference. */
export const packCheck = { left: 3, off: false };

/** The packed rows of a native job's result, or undefined (none, or packing found untrustworthy). */
export function packedRowsOf(job: DirJobResult, st: Float64Array): PackedRows | undefined {
  if (job.rows === undefined || packCheck.off) return undefined;
  const rows: PackedRows = { bytes: job.rows, count: job.rowCount!, owners: job.owners! };
  if (packCheck.left > 0 && rows.count > 0) {
    if (!sameRows(ordinaryRows(job, st), rows)) {
      packCheck.off = true;
      return undefined;
    }
    packCheck.left--;
  }
  return rows;
}

/** The rows the per-entry path makes of a job's numbers (ChunkBuilder.rowFromNumbers for every lstat()ed entry but directories). */
export function ordinaryRows(job: DirJobResult, st: Float64Array): Array<string | number | null> {
  const names = job.names!.split('\0');
  const types = job.types!;
  const b = new ChunkBuilder();
  for (let i = 0; i < types.length; i++) if (types[i] === K_STAT && !isDirNumbers(st, i)) b.rowFromNumbers('/', 0, 0, names[i]!, st, i);
  const l = b.take().listings![0];
  return l === undefined ? [] : (l.slice(LISTING_HEAD) as Array<string | number | null>);
}

/** Calls `fn` with the name of each subdirectory of a job's listing, in order (the names are split only when there is one). */
export function forEachSubdir(job: DirJobResult, st: Float64Array, fn: (name: string) => void): void {
  const types = job.types!;
  let names: string[] | null = null;
  for (let i = 0; i < types.length; i++) {
    const t = types[i]!;
    if (t !== K_DIR && !(t === K_STAT && isDirNumbers(st, i))) continue;
    names ??= job.names!.split('\0');
    fn(names[i]!);
  }
}

function sameRows(want: Array<string | number | null>, rows: PackedRows): boolean {
  let got: unknown[];
  try {
    got = decodeRows(rows);
  } catch {
    return false;
  }
  if (got.length !== want.length || got.length !== rows.count * ROW_WIDTH) return false;
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) return false;
  return true;
}
