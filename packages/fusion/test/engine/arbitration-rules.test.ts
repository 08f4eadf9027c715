// Table-driven test of every arbitration rule and protection of consistency.md §2–§6 (one row per rule).

import { afterEach, describe, expect, it } from 'vitest';
import type { FileEvent, MessageSource, SentinelResult, TreeNode, ViewStats } from '@fustor/protocol';
import { Harness, HOT_SEC, OLD, T0, TTL_SEC, del, dir, up } from './harness.js';

type Step =
  | { src: MessageSource; ev: FileEvent[]; session?: string }
  | { audit: 'start' }
  | { auditEnd: boolean }
  | { advance: { phys?: number; mono?: number } }
  | { snapshotStart: boolean }
  | { snapshotEnd: boolean }
  | { sentinel: SentinelResult[] }
  | { tick: true };

interface Row {
  name: string;
  given?: Step[];
  when: Step[];
  /** Sum of `ignored` over the `when` batches. */
  ignored?: number;
  /** Sum of audit-end deletions over the `when` steps. */
  deleted?: number;
  /** Expected node fields; null = the path must not exist. */
  nodes?: Record<string, Partial<TreeNode> | null>;
  suspects?: string[];
  additions?: string[];
  deletions?: string[];
  tombstones?: number;
  stats?: Record<string, Partial<ViewStats>>;
  /** Expected watermark minus the physical clock (i.e. -skew). */
  watermarkOffset?: number;
  sentinel?: { cleared: number; renewed: number; deleted: number };
}

const H = HOT_SEC * 1000;
const rt = (...ev: FileEvent[]): Step => ({ src: 'realtime', ev });
const snap = (...ev: FileEvent[]): Step => ({ src: 'snapshot', ev });
const audit = (...ev: FileEvent[]): Step => ({ src: 'audit', ev });
const onDemand = (...ev: FileEvent[]): Step => ({ src: 'on_demand', ev });
const AUDIT_START: Step = { audit: 'start' };
const AUDIT_END: Step = { auditEnd: true };
const snapEnd: Step = { snapshotEnd: true };
const advance = (phys = 0, mono = 0): Step => ({ advance: { phys, mono } });

const rows: Row[] = [
  // ---- realtime --------------------------------------------------------------------------------
  {
    name: 'realtime upsert creates missing parents as directories with unknown (0) mtime',
    when: [rt(up('/a/b/c.txt', T0, { size: 7 }))],
    nodes: {
      '/a': { is_dir: true, mtime_ms: 0, known_by_agent: true },
      '/a/b': { is_dir: true, mtime_ms: 0 },
      '/a/b/c.txt': { is_dir: false, size: 7, mtime_ms: T0, known_by_agent: true, integrity_suspect: false },
    },
    stats: { '/': { file_count: 1, dir_count: 2, total_size: 7, latest_mtime_ms: T0 } },
  },
  {
    name: 'realtime non-atomic write makes a suspect; a later atomic one clears it',
    given: [rt(up('/f', T0, { is_atomic_write: false }))],
    when: [rt(up('/f', T0 + 1, { is_atomic_write: true }))],
    nodes: { '/f': { integrity_suspect: false, mtime_ms: T0 + 1 } },
    suspects: [],
  },
  {
    name: 'realtime non-atomic write stays suspect until checked',
    when: [rt(up('/f', T0, { is_atomic_write: false }))],
    nodes: { '/f': { integrity_suspect: true } },
    suspects: ['/f'],
    stats: { '/': { suspect_count: 1, stable: false } },
  },
  {
    name: 'realtime delete removes the subtree, records a tombstone and updates aggregates',
    given: [rt(up('/d/x', T0, { size: 5 }), up('/d/e/y', T0, { size: 6 }), up('/z', T0, { size: 1 }))],
    when: [rt(del('/d'))],
    nodes: { '/d': null, '/d/e/y': null, '/z': { size: 1 } },
    tombstones: 1,
    stats: { '/': { file_count: 1, dir_count: 0, total_size: 1 } },
  },
  {
    name: 'realtime delete drops suspect and blind-spot marks of the removed paths',
    given: [rt(up('/d/s', T0, { is_atomic_write: false })), onDemand(up('/d/b', T0 - 1000))],
    when: [rt(del('/d'))],
    suspects: [],
    additions: [],
    stats: { '/': { suspect_count: 0, blind_spot_count: 0 } },
  },
  // ---- tombstones ------------------------------------------------------------------------------
  {
    name: 'tombstone echo: a scan reporting a deleted file with an old mtime is ignored',
    given: [rt(up('/f', T0 - 5000)), rt(del('/f'))],
    when: [audit(up('/f', T0 - 5000))],
    ignored: 1,
    nodes: { '/f': null },
    tombstones: 1,
  },
  {
    name: 'tombstone echo applies to a late realtime upsert from another session too',
    given: [rt(up('/f', T0 - 5000)), rt(del('/f'))],
    when: [{ src: 'realtime', ev: [up('/f', T0 - 5000)], session: 's2' }],
    ignored: 1,
    nodes: { '/f': null },
  },
  {
    name: 'rm f; echo > f: a realtime re-creation from the deleting session is applied even within the watermark window',
    given: [rt(up('/f', T0 - 5000)), rt(del('/f'))],
    when: [rt(up('/f', T0 - 6000))],
    ignored: 0,
    nodes: { '/f': { mtime_ms: T0 - 6000 } },
    tombstones: 0,
  },
  {
    name: 'a scan echo is ignored even when the deleting session sends it (only realtime is causal)',
    given: [rt(up('/f', T0 - 5000)), rt(del('/f'))],
    when: [audit(up('/f', T0 - 5000))],
    ignored: 1,
  },
  {
    name: 'tombstone echo of a file inside a deleted directory does not resurrect the directory',
    given: [rt(up('/d/x', T0 - 5000)), rt(del('/d'))],
    when: [snap(up('/d/x', T0 - 5000))],
    ignored: 1,
    nodes: { '/d': null },
  },
  {
    name: 'genuine re-creation (mtime newer than the tombstone) is applied and drops the tombstone',
    given: [rt(up('/f', T0 - 5000)), rt(del('/f')), advance(10_000)],
    when: [snap(up('/f', T0 + 5000))],
    ignored: 0,
    nodes: { '/f': { mtime_ms: T0 + 5000 } },
    tombstones: 0,
  },
  // ---- snapshot --------------------------------------------------------------------------------
  {
    name: 'snapshot applies without last_confirmed_at, known_by_agent=true, no blind spot',
    when: [snap(dir('/d', OLD), up('/d/f', OLD, { size: 3 }))],
    nodes: { '/d/f': { known_by_agent: true, blind_spot: null, size: 3, integrity_suspect: false } },
    additions: [],
  },
  {
    name: 'snapshot marks a hot file suspect',
    when: [snap(up('/hot', T0 - 1000), up('/cold', T0 - 2 * H))],
    suspects: ['/hot'],
    nodes: { '/hot': { integrity_suspect: true }, '/cold': { integrity_suspect: false } },
  },
  // ---- smart merge -----------------------------------------------------------------------------
  {
    name: 'smart merge keeps a node whose mtime is the same or newer (accepted, unchanged)',
    given: [rt(up('/f', T0, { size: 9 }))],
    when: [audit(up('/f', T0 - 100, { size: 1 })), onDemand(up('/f', T0, { size: 2 }))],
    ignored: 0,
    nodes: { '/f': { size: 9, mtime_ms: T0, known_by_agent: true, blind_spot: null } },
    additions: [],
  },
  {
    name: 'smart merge applies a newer mtime as a blind-spot addition with known_by_agent=false',
    given: [rt(up('/f', T0 - 5000, { size: 9 }))],
    when: [audit(up('/f', T0 - 10, { size: 1 }))],
    nodes: { '/f': { size: 1, mtime_ms: T0 - 10, known_by_agent: false, blind_spot: 'addition' } },
    additions: ['/f'],
  },
  {
    name: 'smart merge adds a new file as a blind-spot addition; on_demand too',
    when: [audit(up('/new', OLD)), onDemand(up('/new2', OLD))],
    nodes: { '/new': { known_by_agent: false, blind_spot: 'addition' }, '/new2': { blind_spot: 'addition' } },
    additions: ['/new', '/new2'],
    stats: { '/': { blind_spot_count: 2 } },
  },
  {
    name: 'stale listing: missing node whose parent is newer than parent_mtime_ms is ignored',
    given: [snap(dir('/d', T0 - 100))],
    when: [audit(up('/d/gone', T0 - 500, { parent_path: '/d', parent_mtime_ms: T0 - 200 }))],
    ignored: 1,
    nodes: { '/d/gone': null },
  },
  {
    name: 'listing as fresh as the parent is applied',
    given: [snap(dir('/d', T0 - 100))],
    when: [audit(up('/d/x', T0 - 500, { parent_path: '/d', parent_mtime_ms: T0 - 100 }))],
    ignored: 0,
    nodes: { '/d/x': { blind_spot: 'addition' } },
  },
  {
    name: 'a scan upsert whose parent is missing creates the parents (known_by_agent=false, mtime 0)',
    when: [onDemand(up('/p/q/r.txt', OLD))],
    nodes: { '/p': { is_dir: true, mtime_ms: 0, known_by_agent: false }, '/p/q/r.txt': { blind_spot: 'addition' } },
    stats: { '/': { file_count: 1, dir_count: 2 } },
  },
  {
    name: 'a scan upsert under a path that is a file replaces the file by a directory',
    given: [snap(up('/p', OLD, { size: 5 }))],
    when: [audit(up('/p/r.txt', OLD, { size: 1 }))],
    nodes: { '/p': { is_dir: true }, '/p/r.txt': { size: 1 } },
    stats: { '/': { file_count: 1, dir_count: 1, total_size: 1 } },
  },
  {
    name: 'scan marks a hot file suspect',
    when: [audit(up('/h', T0 - 1000))],
    suspects: ['/h'],
  },
  {
    name: 'directory mtime change from a scan is applied without a blind-spot mark',
    given: [snap(dir('/d', T0 - 5000))],
    when: [audit(dir('/d', T0 - 100, { audit_skipped: false }))],
    nodes: { '/d': { mtime_ms: T0 - 100, blind_spot: null } },
    additions: [],
  },
  // ---- audit -----------------------------------------------------------------------------------
  {
    name: 'audit_skipped directory records the flag, and its unlisted children survive audit end',
    given: [snap(dir('/d', OLD), up('/d/a', OLD), up('/d/b', OLD))],
    when: [AUDIT_START, audit(dir('/', OLD, { audit_skipped: false }), dir('/d', OLD, { audit_skipped: true, parent_path: '/', parent_mtime_ms: OLD })), AUDIT_END],
    deleted: 0,
    nodes: { '/d': { audit_skipped: true }, '/d/a': {}, '/d/b': {} },
    deletions: [],
  },
  {
    name: 'missing-item detection deletes unreported children of a fully listed directory (blind-spot deletion)',
    given: [snap(dir('/d', OLD), up('/d/a', OLD), up('/d/b', OLD), dir('/d/sub', OLD), up('/d/sub/c', OLD))],
    when: [AUDIT_START, audit(dir('/d', OLD, { audit_skipped: false }), up('/d/a', OLD, { parent_path: '/d', parent_mtime_ms: OLD })), AUDIT_END],
    deleted: 3,
    nodes: { '/d/a': {}, '/d/b': null, '/d/sub': null, '/d/sub/c': null },
    deletions: ['/d/b', '/d/sub', '/d/sub/c'],
    stats: { '/': { file_count: 1, dir_count: 1, blind_spot_count: 3 }, '/d': { blind_spot_count: 3 } },
  },
  {
    name: 'cp -p: a file with an OLD mtime confirmed by realtime after audit start is not deleted',
    given: [snap(dir('/d', OLD))],
    when: [AUDIT_START, audit(dir('/d', OLD, { audit_skipped: false })), advance(5), rt(up('/d/copied', OLD - 1e6)), AUDIT_END],
    deleted: 0,
    nodes: { '/d/copied': { known_by_agent: true } },
    deletions: [],
  },
  {
    name: 'a child realtime-confirmed BEFORE audit start and not listed is deleted (the protection is time-bound)',
    given: [snap(dir('/d', OLD)), rt(up('/d/old', T0 - 1000)), advance(5)],
    when: [AUDIT_START, audit(dir('/d', OLD, { audit_skipped: false })), AUDIT_END],
    deleted: 1,
    nodes: { '/d/old': null },
    deletions: ['/d/old'],
  },
  {
    name: 'a child deleted by realtime during the audit (tombstoned) is not deleted again nor a blind spot',
    given: [snap(dir('/d', OLD), up('/d/x', OLD))],
    when: [AUDIT_START, audit(dir('/d', OLD, { audit_skipped: false })), rt(del('/d/x')), AUDIT_END],
    deleted: 0,
    deletions: [],
    tombstones: 1,
  },
  {
    name: 'an incomplete audit deletes nothing',
    given: [snap(dir('/d', OLD), up('/d/a', OLD))],
    when: [AUDIT_START, audit(dir('/d', OLD, { audit_skipped: false })), { auditEnd: false }],
    deleted: 0,
    nodes: { '/d/a': {} },
  },
  {
    name: 'only directories listed in THIS audit count: a restarted audit forgets the first listing',
    given: [snap(dir('/d', OLD), up('/d/a', OLD))],
    when: [AUDIT_START, audit(dir('/d', OLD, { audit_skipped: false })), AUDIT_START, AUDIT_END],
    deleted: 0,
    nodes: { '/d/a': {} },
  },
  {
    name: 'tombstones older than the TTL expire at audit end (physical time); younger ones stay',
    given: [rt(up('/old', T0)), rt(del('/old')), advance(TTL_SEC * 1000 - 1000), rt(up('/young', T0)), rt(del('/young')), advance(2000)],
    when: [AUDIT_START, { auditEnd: false }],
    tombstones: 1,
  },
  // ---- kinds -----------------------------------------------------------------------------------
  {
    name: 'file replaced by a directory (and its aggregates follow)',
    given: [snap(up('/x', OLD, { size: 50 }))],
    when: [rt(dir('/x', T0), up('/x/y', T0, { size: 2 }))],
    nodes: { '/x': { is_dir: true, size: 0 }, '/x/y': { size: 2 } },
    stats: { '/': { file_count: 1, dir_count: 1, total_size: 2 } },
  },
  {
    name: 'directory replaced by a file removes the subtree',
    given: [snap(dir('/x', OLD), up('/x/y', OLD, { size: 2 }), up('/x/z', OLD, { size: 3 }))],
    when: [rt(up('/x', T0, { size: 10 }))],
    nodes: { '/x': { is_dir: false, size: 10 }, '/x/y': null },
    stats: { '/': { file_count: 1, dir_count: 0, total_size: 10 } },
  },
  {
    name: 'a file standing where a deeper path needs a directory is replaced; missing ancestors are created (one path walk)',
    given: [snap(up('/a', OLD, { size: 5 }), dir('/k', OLD), up('/k/keep', OLD, { size: 1 }))],
    when: [rt(up('/a/b/c', T0, { size: 2 }), up('/k/n/m/o', T0, { size: 3 }))],
    nodes: { '/a': { is_dir: true, size: 0 }, '/a/b': { is_dir: true }, '/a/b/c': { size: 2 }, '/k/keep': { size: 1 }, '/k/n/m/o': { size: 3 } },
    stats: { '/': { file_count: 3, dir_count: 5, total_size: 6 } },
  },
  {
    name: 'parent-directory hint: removals within one batch never leave a stale directory id behind',
    given: [snap(dir('/d', OLD), up('/d/x', OLD, { size: 1 }))],
    when: [
      rt(up('/d/a', T0, { size: 1 }), del('/d'), up('/d/b', T0, { size: 2 }), up('/d', T0, { size: 7 }), up('/d/c', T0, { size: 3 }), up('/d/c', T0, { size: 4 })),
    ],
    nodes: { '/d': { is_dir: true }, '/d/a': null, '/d/b': null, '/d/x': null, '/d/c': { size: 4 } },
    stats: { '/': { file_count: 1, dir_count: 1, total_size: 4 } },
  },
  {
    name: 'audit: a new entry whose parent (a file here) has a newer mtime than the audit saw is ignored',
    given: [snap(up('/p', T0))],
    when: [AUDIT_START, audit(up('/p/q', OLD, { parent_path: '/p', parent_mtime_ms: OLD }))],
    ignored: 1,
    nodes: { '/p': { is_dir: false }, '/p/q': null },
  },
  // ---- suspects --------------------------------------------------------------------------------
  {
    name: 'suspect expiry clears a mark whose mtime did not change',
    given: [snap(up('/h', T0 - 1000))],
    when: [advance(0, H), { tick: true }],
    suspects: [],
    nodes: { '/h': { integrity_suspect: false } },
  },
  {
    name: 'suspect expiry renews a mark whose mtime changed (for a full threshold, with the new mtime)',
    given: [snap(up('/h', T0 - 1000)), advance(10 * H), snap(up('/h', T0))],
    when: [advance(0, H), { tick: true }, advance(0, H - 1), { tick: true }],
    suspects: ['/h'],
  },
  {
    name: 'scan suspect expiry is max(1 s, threshold - age): an almost-cold file expires soon',
    given: [snap(up('/h', T0 - H + 500))],
    when: [advance(0, 1000), { tick: true }],
    suspects: [],
  },
  {
    name: 'sentinel: unchanged mtime clears early',
    given: [snap(up('/h', T0 - 1000))],
    when: [{ sentinel: [{ path: '/h', exists: true, size: 1, mtime_ms: T0 - 1000 }] }],
    suspects: [],
    sentinel: { cleared: 1, renewed: 0, deleted: 0 },
  },
  {
    name: 'sentinel: changed mtime renews and updates the node',
    given: [snap(up('/h', T0 - 1000))],
    when: [{ sentinel: [{ path: '/h', exists: true, size: 99, mtime_ms: T0 - 10 }] }],
    suspects: ['/h'],
    nodes: { '/h': { size: 99, mtime_ms: T0 - 10, integrity_suspect: true } },
    sentinel: { cleared: 0, renewed: 1, deleted: 0 },
  },
  {
    name: 'sentinel: exists:false deletes as a blind-spot deletion, not a tombstone',
    given: [snap(up('/h', T0 - 1000))],
    when: [{ sentinel: [{ path: '/h', exists: false }, { path: '/not-suspect', exists: false }] }],
    suspects: [],
    nodes: { '/h': null },
    deletions: ['/h'],
    tombstones: 0,
    sentinel: { cleared: 0, renewed: 0, deleted: 1 },
  },
  // ---- blind spots -----------------------------------------------------------------------------
  {
    name: 'snapshotStart(true) clears both blind-spot sets',
    given: [
      snap(dir('/d', OLD), up('/d/x', OLD)),
      audit(up('/add', OLD)),
      AUDIT_START,
      audit(dir('/d', OLD, { audit_skipped: false })),
      AUDIT_END,
    ],
    when: [{ snapshotStart: true }],
    additions: [],
    deletions: [],
    nodes: { '/add': { blind_spot: null } },
    stats: { '/': { blind_spot_count: 0 } },
  },
  {
    name: 'snapshotStart(false) keeps blind spots',
    given: [audit(up('/add', OLD))],
    when: [{ snapshotStart: false }],
    additions: ['/add'],
  },
  {
    name: 'realtime upsert clears a blind-spot addition and a blind-spot deletion of the path',
    given: [audit(up('/add', OLD)), snap(up('/gone', T0 - 1000)), { sentinel: [{ path: '/gone', exists: false }] }],
    when: [rt(up('/add', T0)), rt(up('/gone', T0))],
    additions: [],
    deletions: [],
    nodes: { '/add': { blind_spot: null, known_by_agent: true } },
  },
  // ---- clock -----------------------------------------------------------------------------------
  {
    name: 'watermark is physical now without samples',
    when: [snap(up('/f', OLD))],
    watermarkOffset: 0,
  },
  {
    name: 'touch -d 2050: one future mtime does not move the watermark (mode), and is suspect one threshold at most',
    given: [rt(up('/a', T0 - 2000), up('/b', T0 - 2000), up('/c', T0 - 2000))],
    when: [rt(up('/future', Date.UTC(2050, 0, 1))), snap(up('/future2', Date.UTC(2050, 0, 1))), advance(0, H), { tick: true }],
    watermarkOffset: 0 - 2000,
    suspects: [],
  },
  {
    name: 'skew of one hour (storage clock ahead): watermark follows the mode, hot verdicts stay right',
    given: [rt(up('/a', T0 + 3_600_000), up('/b', T0 + 3_600_000), up('/c', T0 + 3_600_500))],
    when: [snap(up('/hot', T0 + 3_600_000 - 5000), up('/cold', T0 + 3_600_000 - 2 * H))],
    watermarkOffset: 3_600_000,
    suspects: ['/hot'],
  },
  {
    name: 'skew of one hour (storage clock behind): an hour-old mtime is brand new in storage time',
    given: [rt(up('/a', T0 - 3_600_000), up('/b', T0 - 3_600_000))],
    when: [snap(up('/hot', T0 - 3_600_000 - 1000))],
    watermarkOffset: -3_600_000,
    suspects: ['/hot'],
  },
  // ---- stats -----------------------------------------------------------------------------------
  {
    name: 'stats stable verdict: never stable before the first complete snapshot (partial)',
    given: [rt(up('/d/f', T0))],
    when: [advance(H + 1000), { snapshotEnd: false }],
    stats: { '/d': { stable: false, partial: true, snapshot_complete: false }, '/': { stable: false, partial: true } },
  },
  {
    name: 'stats stable verdict: a recent write is unstable until the threshold passes',
    given: [rt(up('/d/f', T0))],
    when: [],
    stats: { '/d': { stable: false, file_count: 1, latest_mtime_ms: T0 } },
  },
  {
    name: 'stats stable verdict: stable after the threshold',
    given: [snapEnd, rt(up('/d/f', T0))],
    when: [advance(H + 1000)],
    stats: { '/d': { stable: true }, '/': { stable: true } },
  },
  {
    // Regression (P12 bench): a submission folder's mkdir reached Fusion before its files, read as an empty
    // subtree (no newest mtime) and so as stable: the `stable` webhook fired before the upload had begun.
    name: 'stats stable verdict: an empty folder just created is hot (its own mtime counts), stable after the threshold',
    given: [snapEnd, rt(dir('/incoming', OLD))],
    when: [rt(dir('/incoming/run7', T0))],
    stats: { '/incoming/run7': { stable: false, file_count: 0, latest_mtime_ms: T0 }, '/incoming': { stable: false, latest_mtime_ms: T0 } },
  },
  {
    name: 'stats stable verdict: an empty folder becomes stable once its own mtime leaves the threshold',
    given: [snapEnd, rt(dir('/incoming/run7', T0))],
    when: [advance(H + 1000)],
    stats: { '/incoming/run7': { stable: true, latest_mtime_ms: T0 } },
  },
  {
    name: 'stats: latest mtime falls back when the newest file is deleted',
    given: [rt(up('/d/a', T0 - 500), up('/d/b', T0))],
    when: [rt(del('/d/b'))],
    stats: { '/d': { latest_mtime_ms: T0 - 500 }, '/': { latest_mtime_ms: T0 - 500 } },
  },
  {
    name: 'scan delete event removes as blind-spot deletion unless realtime confirmed it after audit start',
    given: [snap(up('/a', OLD), up('/b', OLD))],
    when: [AUDIT_START, advance(5), rt(up('/b', OLD)), audit(del('/a'), del('/b')), AUDIT_END],
    ignored: 1,
    nodes: { '/a': null, '/b': {} },
    deletions: ['/a'],
  },
];

describe('arbitration rules (consistency.md §4–§6)', () => {
  let h: Harness | null = null;
  afterEach(() => {
    h?.close();
    h = null;
  });

  for (const row of rows) {
    it(row.name, () => {
      h = new Harness();
      const hh = h;
      const run = (steps: Step[]) => {
        let ignored = 0;
        let deleted = 0;
        let sentinel: { cleared: number; renewed: number; deleted: number } | undefined;
        for (const s of steps) {
          if ('src' in s) ignored += hh.send(s.src, s.ev, s.session).ignored;
          else if ('audit' in s) hh.v.auditStart();
          else if ('auditEnd' in s) deleted += hh.v.auditEnd(s.auditEnd).deleted;
          else if ('advance' in s) {
            hh.phys += s.advance.phys ?? 0;
            hh.mono += s.advance.mono ?? 0;
          } else if ('snapshotStart' in s) hh.v.snapshotStart(s.snapshotStart);
          else if ('snapshotEnd' in s) hh.v.snapshotEnd(s.snapshotEnd);
          else if ('sentinel' in s) sentinel = hh.sentinel(s.sentinel);
          else hh.v.tick();
        }
        return { ignored, deleted, sentinel };
      };
      run(row.given ?? []);
      const r = run(row.when);
      if (row.ignored !== undefined) expect(r.ignored, 'ignored').toBe(row.ignored);
      if (row.deleted !== undefined) expect(r.deleted, 'deleted').toBe(row.deleted);
      if (row.sentinel !== undefined) expect(r.sentinel).toEqual(row.sentinel);
      for (const [path, want] of Object.entries(row.nodes ?? {})) {
        const got = hh.node(path);
        if (want === null) expect(got, path).toBeNull();
        else {
          expect(got, path).not.toBeNull();
          const { children: _c, ...fields } = got!;
          expect(fields, path).toMatchObject(want);
        }
      }
      if (row.suspects) expect(hh.suspects()).toEqual([...row.suspects].sort());
      if (row.additions) expect(hh.blind('addition')).toEqual([...row.additions].sort());
      if (row.deletions) expect(hh.blind('deletion')).toEqual([...row.deletions].sort());
      if (row.tombstones !== undefined) expect(hh.v.counters().tombstone_count).toBe(row.tombstones);
      for (const [path, want] of Object.entries(row.stats ?? {})) expect(hh.v.stats(path), path).toMatchObject(want);
      if (row.watermarkOffset !== undefined) expect(hh.v.watermark() - hh.phys).toBe(row.watermarkOffset);
    });
  }

  it('audit end without audit start is a conflict (40901)', () => {
    h = new Harness();
    expect(() => h!.v.auditEnd(true)).toThrow(expect.objectContaining({ code: 40901 }));
  });
});
