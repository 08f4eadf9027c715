// The e2e oracle: the real directory (lstat walk) versus Fusion's tree, compared as sets of entries:
// type, file size, file and directory mtimes, and optionally kind/uid/gid/mode.

import type { FusionClient } from './fusion-client.js';
import { diffEntries, formatDiff, isEmptyDiff, walkDisk, walkTree, type DiffOptions, type EntryMap } from './oracle-core.mjs';
import { notYet, waitFor } from './wait.js';

// The logic lives in oracle-core.mjs so the soak script (scripts/soak.mjs) runs the very same oracle.
export {
  diffEntries,
  diskKind,
  encodeName,
  formatDiff,
  isEmptyDiff,
  walkDisk,
  type DiffOptions,
  type EntryMap,
  type OracleDiff,
  type OracleEntry,
} from './oracle-core.mjs';

/** Reads a whole view from Fusion (see walkTree). */
export function walkFusion(client: FusionClient, view: string, opts: { depth?: number; pageSize?: number } = {}): Promise<EntryMap> {
  return walkTree((path, o) => client.tree(view, path, o), opts);
}

export interface OracleOptions extends DiffOptions {
  timeoutMs?: number;
  exclude?: (viewPath: string) => boolean;
}

/** Polls until Fusion's view equals the directory; on timeout the error shows a readable diff. */
export async function waitForOracle(client: FusionClient, view: string, root: string, opts: OracleOptions = {}): Promise<EntryMap> {
  return waitFor(
    async () => {
      const disk = walkDisk(root, { exclude: opts.exclude });
      const fusion = await walkFusion(client, view);
      const d = diffEntries(disk, fusion, { meta: opts.meta });
      return isEmptyDiff(d) ? fusion : notYet(formatDiff(d, 25, opts.meta));
    },
    { timeoutMs: opts.timeoutMs ?? 20_000, intervalMs: 250, what: `Fusion view '${view}' to match ${root}` },
  );
}
