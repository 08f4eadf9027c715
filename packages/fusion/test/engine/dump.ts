// Test helpers: a canonical dump of a view's whole state, and a brute-force recomputation of directory aggregates.

import type { ViewEngine } from '../../src/contract.js';
import type { ViewEngineImpl } from '../../src/views/view-engine.js';
import { F_DIR, F_SEEN, PERSISTED_FLAGS, ROOT } from '../../src/tree/node-table.js';

export function stateOf(v: ViewEngine) {
  return (v as ViewEngineImpl).state;
}

/** Everything that must survive a restart, in a form toEqual can compare (ids excluded: paths identify nodes). */
export function dumpView(v: ViewEngine) {
  const st = stateOf(v);
  const t = st.t;
  const nodes: Record<string, [number, number, number, number, boolean]> = {};
  for (let id = 0; id < t.hwm; id++) {
    if (!t.isLive(id)) continue;
    nodes[t.pathOf(id)] = [t.flags[id]! & PERSISTED_FLAGS, t.size[id]!, t.mtime[id]!, t.confirmed[id]!, (t.flags[id]! & F_SEEN) !== 0];
  }
  return {
    nodes,
    tombstones: Object.fromEntries([...st.tombstones].sort()),
    suspects: st.flagged(8).map((id) => [t.pathOf(id), t.sMtime[id]!, t.sExpiry[id]!]).sort(),
    additions: st.flagged(16).map((id) => t.pathOf(id)).sort(),
    deletions: [...st.blindDels].sort(),
    histogram: [...st.clock.counts].sort((a, b) => a[0] - b[0]),
    watermark: v.watermark(),
    audit: st.audit ? { startedAt: st.audit.startedAt, listed: [...st.audit.listed].sort() } : null,
    counters: v.counters(),
  };
}

export interface Agg {
  file_count: number;
  dir_count: number;
  total_size: number;
  latest_mtime: number;
  suspect_count: number;
  blind_count: number;
}

/** Recomputes every directory's aggregates by walking its subtree, and compares with the maintained ones. */
export function checkAggregates(v: ViewEngine): string[] {
  const st = stateOf(v);
  const t = st.t;
  const problems: string[] = [];
  const walk = (d: number): Agg => {
    const a: Agg = { file_count: 0, dir_count: 0, total_size: 0, latest_mtime: -Infinity, suspect_count: 0, blind_count: 0 };
    for (const c of t.childIds(d)) {
      const f = t.flags[c]!;
      if (f & 8) a.suspect_count++;
      if (f & 16) a.blind_count++;
      a.latest_mtime = Math.max(a.latest_mtime, t.mtime[c]!);
      if (f & F_DIR) {
        const s = walk(c);
        a.dir_count += 1 + s.dir_count;
        a.file_count += s.file_count;
        a.total_size += s.total_size;
        a.suspect_count += s.suspect_count;
        a.blind_count += s.blind_count;
        a.latest_mtime = Math.max(a.latest_mtime, s.latest_mtime);
      } else {
        a.file_count++;
        a.total_size += t.size[c]!;
      }
    }
    const got = st.tree.aggregates(d);
    const want = { ...a };
    const have = {
      file_count: got.file_count,
      dir_count: got.dir_count,
      total_size: got.total_size,
      latest_mtime: got.latest_mtime,
      suspect_count: got.suspect_count,
      blind_count: got.blind_count,
    };
    if (JSON.stringify(have) !== JSON.stringify(want)) problems.push(`${t.pathOf(d)}: have ${JSON.stringify(have)} want ${JSON.stringify(want)}`);
    return a;
  };
  walk(ROOT);
  // Every suspect mark has a valid heap entry (so it will expire), and the counters agree with the flags.
  const heapIds = new Set(st.heap.earliest(t, Number.MAX_SAFE_INTEGER));
  for (const id of st.flagged(8)) if (!heapIds.has(id)) problems.push(`suspect ${t.pathOf(id)} is not in the expiry heap`);
  if (st.suspectCount() !== st.flagged(8).length) problems.push('suspect count differs from flagged nodes');
  if (st.blindAdditionCount() !== st.flagged(16).length) problems.push('addition count differs from flagged nodes');
  return problems;
}
