// The entries of one commit with their cursors, handed to the feed's readers after the transaction (and to hooks inside it).

import type { ChangeBuffer } from './change-buffer.js';

/** One feed entry in storage form: numeric codes, resolved to names by feed/entry.ts. */
export interface ChangeRecord {
  cursor: number;
  op: number;
  bits: number;
  path: string;
  /** Message source code (node-meta.ts), 0 = none. */
  src: number;
  /** Agent index in the view's labels, 0 = none. */
  agent: number;
  size: number;
  mtime: number;
  ks: number;
  uid: number;
  gid: number;
  mode: number;
  ctime: number;
  /** Fusion physical time of the commit. */
  at: number;
}

type Columns = Pick<ChangeBuffer, 'ops' | 'bits' | 'paths' | 'srcs' | 'agents' | 'sizes' | 'mtimes' | 'ks' | 'uids' | 'gids' | 'modes' | 'ctimes'>;

/**
 * Takes over the buffer's columns (the buffer starts fresh ones), so handing a commit's entries on costs
 * no copy; records are materialized only by a reader that wants them (an SSE client, a subscription).
 */
export class CommittedChanges {
  readonly first: number;
  readonly at: number;
  readonly #c: Columns;

  constructor(first: number, at: number, cols: Columns) {
    this.first = first;
    this.at = at;
    this.#c = cols;
  }

  static take(buf: ChangeBuffer, first: number, at: number): CommittedChanges {
    const cols: Columns = {
      ops: buf.ops, bits: buf.bits, paths: buf.paths, srcs: buf.srcs, agents: buf.agents, sizes: buf.sizes,
      mtimes: buf.mtimes, ks: buf.ks, uids: buf.uids, gids: buf.gids, modes: buf.modes, ctimes: buf.ctimes,
    };
    buf.clear();
    return new CommittedChanges(first, at, cols);
  }

  get length(): number {
    return this.#c.ops.length;
  }

  /** Cursor of the last entry. */
  get last(): number {
    return this.first + this.length - 1;
  }

  path(i: number): string {
    return this.#c.paths[i]!;
  }

  op(i: number): number {
    return this.#c.ops[i]!;
  }

  record(i: number): ChangeRecord {
    const c = this.#c;
    return {
      cursor: this.first + i, op: c.ops[i]!, bits: c.bits[i]!, path: c.paths[i]!, src: c.srcs[i]!, agent: c.agents[i]!,
      size: c.sizes[i]!, mtime: c.mtimes[i]!, ks: c.ks[i]!, uid: c.uids[i]!, gid: c.gids[i]!, mode: c.modes[i]!, ctime: c.ctimes[i]!,
      at: this.at,
    };
  }

  records(): ChangeRecord[] {
    return Array.from({ length: this.length }, (_, i) => this.record(i));
  }

  columns(): Readonly<Columns> {
    return this.#c;
  }
}
