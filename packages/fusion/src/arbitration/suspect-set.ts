// Suspect marks keyed by path with a min-heap on expiry (monotonic clock), so due expirations cost O(log n).

export interface SuspectMark {
  /** Monotonic deadline, ms. */
  expiry: number;
  /** mtime recorded when the mark was set or renewed. */
  mtime: number;
}

interface HeapEntry {
  expiry: number;
  path: string;
}

/**
 * The heap is lazy: replacing or deleting a mark leaves its old heap entry behind, and an entry counts
 * only while the map still holds the same expiry for its path. The heap is rebuilt when stale entries
 * outnumber live ones.
 */
export class SuspectSet {
  readonly map = new Map<string, SuspectMark>();
  #heap: HeapEntry[] = [];

  get size(): number {
    return this.map.size;
  }

  get(path: string): SuspectMark | undefined {
    return this.map.get(path);
  }

  has(path: string): boolean {
    return this.map.has(path);
  }

  set(path: string, expiry: number, mtime: number): void {
    this.map.set(path, { expiry, mtime });
    this.#push({ expiry, path });
    if (this.#heap.length > 2 * this.map.size + 1024) this.#rebuild();
  }

  delete(path: string): boolean {
    return this.map.delete(path);
  }

  clear(): void {
    this.map.clear();
    this.#heap = [];
  }

  /** Removes and returns the paths whose mark expired at or before `now` (their marks stay in the map). */
  popDue(now: number): string[] {
    const out: string[] = [];
    const h = this.#heap;
    while (h.length > 0 && h[0]!.expiry <= now) {
      const e = this.#pop();
      const m = this.map.get(e.path);
      if (m !== undefined && m.expiry === e.expiry) out.push(e.path);
    }
    return out;
  }

  /** Earliest live expiry, or undefined. */
  nextExpiry(): number | undefined {
    while (this.#heap.length > 0) {
      const e = this.#heap[0]!;
      const m = this.map.get(e.path);
      if (m !== undefined && m.expiry === e.expiry) return e.expiry;
      this.#pop();
    }
    return undefined;
  }

  /** Marks ordered by expiry (oldest first). */
  ordered(): [string, SuspectMark][] {
    return [...this.map].sort((a, b) => a[1].expiry - b[1].expiry || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  #rebuild(): void {
    this.#heap = [];
    for (const [path, m] of this.map) this.#push({ expiry: m.expiry, path });
  }

  #push(e: HeapEntry): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.expiry <= e.expiry) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  #pop(): HeapEntry {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && h[r]!.expiry < h[l]!.expiry ? r : l;
        if (h[c]!.expiry >= last.expiry) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
