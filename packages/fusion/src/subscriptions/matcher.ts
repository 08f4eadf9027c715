// Which subscriptions a commit's entries concern: file events to deliver, and subtrees that changed (for `stable`).

import { B_CREATED, B_DIR, OP_DELETE, OP_RESET, OP_UPSERT } from '../changes/change-buffer.js';
import type { CommittedChanges } from '../changes/committed.js';
import type { SubscriptionRow } from '../contract.js';
import { compileGlob, type Matcher } from '../tree/glob.js';

export interface FileHit {
  sub: SubscriptionRow;
  event: 'created' | 'modified' | 'deleted';
  index: number;
}

export interface SubtreeHit {
  sub: SubscriptionRow;
  /** The subtree that changed: a direct child of sub.path (granularity child) or sub.path itself. */
  key: string;
  cursor: number;
}

interface Compiled {
  sub: SubscriptionRow;
  match: Matcher | null;
  byPath: boolean;
  files: boolean;
  stable: boolean;
}

/**
 * Subscriptions of one view indexed by path, so an entry looks up its own ancestors (O(depth) map probes)
 * instead of testing every subscription: thousands of watched folders cost nothing per entry.
 */
export class SubscriptionIndex {
  readonly #byPath = new Map<string, Compiled[]>();
  size = 0;

  add(sub: SubscriptionRow): void {
    const c: Compiled = {
      sub,
      match: sub.pattern ? compileGlob(sub.pattern) : null,
      byPath: sub.pattern?.includes('/') ?? false,
      files: sub.on.some((e) => e !== 'stable'),
      stable: sub.on.includes('stable'),
    };
    let list = this.#byPath.get(sub.path);
    if (!list) this.#byPath.set(sub.path, (list = []));
    list.push(c);
    this.size++;
  }

  remove(id: string): void {
    for (const [p, list] of this.#byPath) {
      const i = list.findIndex((c) => c.sub.id === id);
      if (i < 0) continue;
      list.splice(i, 1);
      if (list.length === 0) this.#byPath.delete(p);
      this.size--;
      return;
    }
  }

  /** Walks every entry of the commit once. */
  match(changes: CommittedChanges): { files: FileHit[]; subtrees: SubtreeHit[] } {
    const files: FileHit[] = [];
    const subtrees: SubtreeHit[] = [];
    const cols = changes.columns();
    for (let i = 0; i < changes.length; i++) {
      const op = cols.ops[i]!;
      if (op === OP_RESET) continue;
      const path = cols.paths[i]!;
      // Ancestors from the path itself up to the root; `child` is the segment just below each.
      let end = path.length;
      let childEnd = -1;
      for (;;) {
        const at = end === 0 ? '/' : path.slice(0, end);
        const list = this.#byPath.get(at);
        if (list !== undefined) for (const c of list) this.#hit(c, path, at, childEnd, op, cols.bits[i]!, i, changes.first + i, files, subtrees);
        if (at === '/') break;
        childEnd = end;
        end = path.lastIndexOf('/', end - 1);
      }
    }
    return { files, subtrees };
  }

  #hit(c: Compiled, path: string, at: string, childEnd: number, op: number, bits: number, index: number, cursor: number, files: FileHit[], subtrees: SubtreeHit[]): void {
    if (c.stable) {
      if (c.sub.granularity === 'path') subtrees.push({ sub: c.sub, key: at, cursor });
      else if (childEnd > 0) subtrees.push({ sub: c.sub, key: path.slice(0, childEnd), cursor });
    }
    if (!c.files || (bits & B_DIR) !== 0 || (op !== OP_UPSERT && op !== OP_DELETE)) return;
    if (c.match !== null && !c.match(c.byPath ? path : path.slice(path.lastIndexOf('/') + 1))) return;
    const event = op === OP_DELETE ? 'deleted' : (bits & B_CREATED) !== 0 ? 'created' : 'modified';
    if (c.sub.on.includes(event)) files.push({ sub: c.sub, event, index });
  }
}
