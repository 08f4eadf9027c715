// Bounded k-selection over node ids (a heap of the k best seen so far): top-N reports and sorted search pages without a full sort.

/**
 * Keeps the k best (key, id) pairs offered: the highest keys, ties by the lower id (node-id order,
 * the order search answers without sort_by). O(log k) per accepted id, one comparison per rejected
 * one. Keys are copied in, so a column changing after the offer does not disturb the heap.
 * For "smallest first", offer the negated value.
 */
export class TopK {
  readonly k: number;
  readonly #keys: Float64Array;
  readonly #ids: Int32Array;
  #n = 0;

  constructor(k: number) {
    this.k = Math.max(0, Math.floor(k));
    this.#keys = new Float64Array(Math.max(1, this.k));
    this.#ids = new Int32Array(Math.max(1, this.k));
  }

  get size(): number {
    return this.#n;
  }

  offer(id: number, key: number): void {
    const keys = this.#keys;
    const ids = this.#ids;
    if (this.#n < this.k) {
      // Sift up: the heap root is the worst kept pair, so a new pair rises past every better parent.
      let i = this.#n++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        const pk = keys[p]!;
        if (!(pk > key || (pk === key && ids[p]! < id))) break;
        keys[i] = pk;
        ids[i] = ids[p]!;
        i = p;
      }
      keys[i] = key;
      ids[i] = id;
      return;
    }
    if (this.k === 0) return;
    const rk = keys[0]!;
    if (!(key > rk || (key === rk && id < ids[0]!))) return;
    const n = this.#n;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      // The worse child (lower key, or same key and higher id) is the one that may take i's place.
      let w = l;
      if (r < n) {
        const lk = keys[l]!;
        const rk2 = keys[r]!;
        if (rk2 < lk || (rk2 === lk && ids[r]! > ids[l]!)) w = r;
      }
      const wk = keys[w]!;
      if (!(key > wk || (key === wk && id < ids[w]!))) break;
      keys[i] = wk;
      ids[i] = ids[w]!;
      i = w;
    }
    keys[i] = key;
    ids[i] = id;
  }

  /** The kept pairs, best first. */
  sorted(): Array<{ id: number; key: number }> {
    const out: Array<{ id: number; key: number }> = [];
    for (let i = 0; i < this.#n; i++) out.push({ id: this.#ids[i]!, key: this.#keys[i]! });
    return out.sort((a, b) => b.key - a.key || a.id - b.id);
  }
}

/**
 * Ids of `ids[0..count)` at ranks [from, to) when ranked by `key(id)` (highest first, ties by id): a
 * bounded heap of `to` when that is a small part of the set, a full sort otherwise (a deep page
 * costs what a sort costs anyway).
 */
export function rankedSlice(ids: Int32Array, count: number, key: (id: number) => number, from: number, to: number): number[] {
  to = Math.min(to, count);
  if (from >= to) return [];
  if (to * 8 > count) {
    const keys = new Float64Array(count);
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      keys[i] = key(ids[i]!);
      order[i] = i;
    }
    order.sort((a, b) => keys[b]! - keys[a]! || ids[a]! - ids[b]!);
    const out: number[] = [];
    for (let r = from; r < to; r++) out.push(ids[order[r]!]!);
    return out;
  }
  const top = new TopK(to);
  for (let i = 0; i < count; i++) top.offer(ids[i]!, key(ids[i]!));
  return top.sorted().slice(from).map((e) => e.id);
}
