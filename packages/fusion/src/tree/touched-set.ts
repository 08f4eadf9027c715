// The node ids a commit must write: a membership bitmap plus the ids in insertion order, in place of a Set.
//
// Why: a snapshot row adds its node three to five times (created, metadata, provenance, flags, the
// ancestors' aggregates), and every add hashed into a Set that grew and rehashed with the batch: about
// 10–30 ms of Fusion's apply per 100k files, ~0.3 s per million in one batch (docs/benchmarks.md, P3
// fifth pass). Here an add is a byte test; the list is what the commit iterates, without a copy.

export class TouchedSet implements Iterable<number> {
  /** 1 at index id when id is in the set; grown by doubling to cover the largest id added. */
  #mark: Uint8Array<ArrayBuffer> = new Uint8Array(1024);
  #ids: number[] = [];

  get size(): number {
    return this.#ids.length;
  }

  add(id: number): this {
    let m = this.#mark;
    if (id >= m.length) m = this.#grow(id);
    if (m[id] === 1) return this;
    m[id] = 1;
    this.#ids.push(id);
    return this;
  }

  has(id: number): boolean {
    return id < this.#mark.length && this.#mark[id] === 1;
  }

  clear(): void {
    const m = this.#mark;
    for (const id of this.#ids) m[id] = 0;
    this.#ids.length = 0;
  }

  /** The ids in the order they were first added: a live view, valid until the next add or clear. */
  list(): readonly number[] {
    return this.#ids;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.#ids[Symbol.iterator]();
  }

  #grow(id: number): Uint8Array<ArrayBuffer> {
    let n = this.#mark.length;
    while (n <= id) n *= 2;
    const m = new Uint8Array(n);
    m.set(this.#mark);
    this.#mark = m;
    return m;
  }
}
