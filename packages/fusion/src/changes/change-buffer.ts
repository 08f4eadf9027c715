// The changes one commit applied, in apply order, as parallel columns: what the change feed stores and streams.

import { NO_ID, NO_MODE } from '../tree/node-meta.js';
import type { NodeTable } from '../tree/node-table.js';

/** Feed operation codes (stored as one byte); CHANGE_OPS[code - 1] is the wire name. */
export const OP_UPSERT = 1;
export const OP_DELETE = 2;
export const OP_SUSPECT = 3;
export const OP_SETTLED = 4;
export const OP_RESET = 5;
export const CHANGE_OPS = ['upsert', 'delete', 'suspect', 'settled', 'reset'] as const;
export type ChangeOp = (typeof CHANGE_OPS)[number];

/** Entry bits. */
export const B_DIR = 1;
/** An upsert that created the node (a subscription's `created`, as opposed to `modified`). */
export const B_CREATED = 2;

/**
 * Entries are recorded while a batch is applied, with the node's values at that moment (a node changed
 * twice in one batch has two entries showing each state), and written with the batch in one transaction.
 * Columns of plain numbers keep recording to a few array pushes per change on the ingest hot path.
 */
export class ChangeBuffer {
  ops: number[] = [];
  bits: number[] = [];
  paths: string[] = [];
  /** Message source code of the batch (node-meta.ts), 0 when the change came from Fusion itself (suspect expiry). */
  srcs: number[] = [];
  agents: number[] = [];
  sizes: number[] = [];
  mtimes: number[] = [];
  ks: number[] = [];
  uids: number[] = [];
  gids: number[] = [];
  modes: number[] = [];
  ctimes: number[] = [];
  /** Source and agent stamped on the entries recorded from now on (set per batch). */
  src = 0;
  agent = 0;

  get length(): number {
    return this.ops.length;
  }

  clear(): void {
    this.ops = [];
    this.bits = [];
    this.paths = [];
    this.srcs = [];
    this.agents = [];
    this.sizes = [];
    this.mtimes = [];
    this.ks = [];
    this.uids = [];
    this.gids = [];
    this.modes = [];
    this.ctimes = [];
    this.src = 0;
    this.agent = 0;
  }

  /** Records node `id` (at `path`) as it is now. */
  node(op: number, t: NodeTable, id: number, path: string, created = false): void {
    this.ops.push(op);
    this.bits.push((t.isDir(id) ? B_DIR : 0) | (created ? B_CREATED : 0));
    this.paths.push(path);
    this.srcs.push(this.src);
    this.agents.push(this.agent);
    this.sizes.push(t.size[id]!);
    this.mtimes.push(t.mtime[id]!);
    this.ks.push(t.ks[id]!);
    this.uids.push(t.uid[id]!);
    this.gids.push(t.gid[id]!);
    this.modes.push(t.mode[id]!);
    this.ctimes.push(t.ctime[id]!);
  }

  /** A view reset: readers must re-read the tree. */
  reset(): void {
    this.ops.push(OP_RESET);
    this.bits.push(B_DIR);
    this.paths.push('/');
    this.srcs.push(0);
    this.agents.push(0);
    this.sizes.push(0);
    this.mtimes.push(0);
    this.ks.push(0);
    this.uids.push(NO_ID);
    this.gids.push(NO_ID);
    this.modes.push(NO_MODE);
    this.ctimes.push(NaN);
  }
}
