// Suspect marks live on the nodes (flag + expiry/mtime columns); this is the min-heap on expiry over node ids, in typed arrays.

import { F_SUSPECT, NodeTable } from '../tree/node-table.js';

/**
 * A lazy heap: replacing or clearing a mark leaves its old entry behind; an entry counts only while
 * its node is live, suspect, and still carries that expiry. Typed arrays keep a million suspects (a
 * freshly written tree scanned within the hot threshold) at 12 bytes each, plus 16 on the node.
 */
export class SuspectHeap {
  #exp = new Float64Array(64);
  #id = new Int32Array(64);
  #n = 0;

  get length(): number {
    return this.#n;
  }

  clear(): void {
    this.#n = 0;
  }

  push(expiry: number, id: number): void {
    if (this.#n === this.#exp.length) {
      const e = new Float64Array(this.#n * 2);
      e.set(this.#exp);
      this.#exp = e;
      const i = new Int32Array(this.#n * 2);
      i.set(this.#id);
      this.#id = i;
    }
    let k = this.#n++;
    const exp = this.#exp;
    const ids = this.#id;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (exp[p]! <= expiry) break;
      exp[k] = exp[p]!;
      ids[k] = ids[p]!;
      k = p;
    }
    exp[k] = expiry;
    ids[k] = id;
  }

  static valid(t: NodeTable, id: number, expiry: number): boolean {
    return t.isLive(id) && (t.flags[id]! & F_SUSPECT) !== 0 && t.sExpiry[id] === expiry;
  }

  /** Pops every valid entry due at or before `now`; returns their node ids. */
  popDue(t: NodeTable, now: number): number[] {
    const out: number[] = [];
    while (this.#n > 0 && this.#exp[0]! <= now) {
      const e = this.#exp[0]!;
      const id = this.#pop();
      if (SuspectHeap.valid(t, id, e)) out.push(id);
    }
    return out;
  }

  /** Earliest valid expiry (stale tops are dropped on the way), or undefined. */
  nextExpiry(t: NodeTable): number | undefined {
    while (this.#n > 0) {
      const e = this.#exp[0]!;
      if (SuspectHeap.valid(t, this.#id[0]!, e)) return e;
      this.#pop();
    }
    return undefined;
  }

  /** The `k` earliest valid marks, oldest first, without disturbing the heap. */
  earliest(t: NodeTable, k: number): number[] {
    const copy = new SuspectHeap();
    copy.#exp = this.#exp.slice(0, Math.max(64, this.#n));
    copy.#id = this.#id.slice(0, Math.max(64, this.#n));
    copy.#n = this.#n;
    const out: number[] = [];
    const seen = new Set<number>();
    while (copy.#n > 0 && out.length < k) {
      const e = copy.#exp[0]!;
      const id = copy.#pop();
      if (SuspectHeap.valid(t, id, e) && !seen.has(id)) {
        seen.add(id);
        out.push(id);
      }
    }
    return out;
  }

  /** Rebuilds from the node columns when stale entries dominate (or after a load). */
  rebuild(t: NodeTable): void {
    this.#n = 0;
    for (let id = 0; id < t.hwm; id++) if (t.isLive(id) && t.flags[id]! & F_SUSPECT) this.push(t.sExpiry[id]!, id);
  }

  /** Compacts when the heap holds many more entries than there are marks. */
  maybeCompact(t: NodeTable, marks: number): void {
    if (this.#n > 2 * marks + 4096) this.rebuild(t);
  }

  #pop(): number {
    const exp = this.#exp;
    const ids = this.#id;
    const top = ids[0]!;
    const n = --this.#n;
    if (n > 0) {
      const le = exp[n]!;
      const li = ids[n]!;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && exp[r]! < exp[l]! ? r : l;
        if (exp[c]! >= le) break;
        exp[k] = exp[c]!;
        ids[k] = ids[c]!;
        k = c;
      }
      exp[k] = le;
      ids[k] = li;
    }
    return top;
  }
}
