// Where a view without an owner goes: the live node holding the fewest files (then views, then the smallest id).

export interface NodeRow {
  id: string;
  url: string;
  files: number;
  views: number;
  alive: boolean;
  last_seen_ms: number;
}

/** Every node computes the same answer from the same rows, so only the chosen node tries to take the view. */
export function choosePlacement(nodes: readonly NodeRow[], self: string): string {
  const live = nodes.filter((n) => n.alive || n.id === self);
  if (live.length === 0) return self;
  let best = live[0]!;
  const key = (n: NodeRow): [number, number, string] => [Number(n.files), Number(n.views), n.id];
  for (const n of live) {
    const [f, v, id] = key(n);
    const [bf, bv, bid] = key(best);
    if (f < bf || (f === bf && (v < bv || (v === bv && id < bid)))) best = n;
  }
  return best.id;
}
