// Random views for property tests: fast-check arbitraries of agent operations (upserts with metadata, deletes, audits, principals, time) and how to apply them.

import fc from 'fast-check';
import type { FileEvent } from '@fustor/protocol';
import { Harness, T0 } from './harness.js';

const NAMES = ['a', 'b', 'c', 'é', '😀', 'a.b'];

export type Op =
  | { t: 'events'; source: 'snapshot' | 'realtime' | 'audit'; events: FileEvent[] }
  | { t: 'audit'; start: boolean; complete: boolean }
  | { t: 'principals'; users: Record<string, string>; groups: Record<string, string> }
  | { t: 'time'; ms: number };

const pathArb = fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((s) => '/' + s.join('/'));
const idArb = fc.option(fc.constantFrom(0, 1000, 1001, 1002, 4294967294), { nil: undefined });
const upsertArb: fc.Arbitrary<FileEvent> = fc
  .record({
    path: pathArb,
    isDir: fc.boolean(),
    // Ties are frequent on purpose (0, powers of two, repeated values); 2^40 exercises the high bins.
    size: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 1024, 2 ** 40), fc.nat(5000)),
    // Days in the past up to a few minutes in the future (negative ages, hot files → suspects).
    mtime: fc.oneof(fc.integer({ min: -120_000, max: 300_000 }), fc.integer({ min: -30 * 86_400_000, max: 0 })).map((d) => T0 + d),
    uid: idArb,
    gid: idArb,
    kind: fc.option(fc.constantFrom('file', 'symlink', 'fifo', 'socket', 'device'), { nil: undefined }),
  })
  .map((r): FileEvent => {
    const e: FileEvent = r.isDir
      ? { op: 'upsert', path: r.path, is_dir: true, mtime_ms: r.mtime }
      : { op: 'upsert', path: r.path, is_dir: false, size: r.size, mtime_ms: r.mtime, ...(r.kind ? { kind: r.kind } : {}) };
    if (r.isDir && r.kind) e.kind = 'dir';
    if (r.uid !== undefined) e.uid = r.uid;
    if (r.gid !== undefined) e.gid = r.gid;
    return e;
  });
const eventArb = fc.oneof({ weight: 5, arbitrary: upsertArb }, { weight: 1, arbitrary: pathArb.map((path): FileEvent => ({ op: 'delete', path })) });
const nameArb = fc.constantFrom('alice', 'bob', 'lab', 'root');
const namesArb = fc.dictionary(fc.constantFrom('0', '1000', '1001', '1002'), nameArb, { maxKeys: 4 });

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('events' as const), source: fc.constantFrom('snapshot' as const, 'realtime' as const, 'audit' as const), events: fc.array(eventArb, { minLength: 1, maxLength: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('audit' as const), start: fc.boolean(), complete: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('principals' as const), users: namesArb, groups: namesArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('time' as const), ms: fc.nat(120_000) }) },
);

/** Applies random operations the way agents would; audit/snapshot semantics are the engine's own. */
export function apply(h: Harness, ops: Op[]): void {
  for (const op of ops) {
    if (op.t === 'events') {
      // Snapshots carry no deletes (protocol.md); the engine rejects them as a whole batch otherwise.
      const events = op.source === 'snapshot' ? op.events.filter((e) => e.op === 'upsert') : op.events;
      if (events.length > 0) h.send(op.source, events);
    } else if (op.t === 'audit') {
      if (op.start) h.v.auditStart();
      else {
        try {
          h.v.auditEnd(op.complete);
        } catch {
          /* no audit open: a conflict, expected */
        }
      }
    } else if (op.t === 'principals') h.v.setPrincipals(op.users, op.groups);
    else {
      h.phys += op.ms;
      h.mono += op.ms;
      h.v.tick();
    }
  }
}

/** Labels as the view knows them, read through the principals the ops sent (last write wins). */
export function labelsOf(ops: Op[]): { users: Map<number, string>; groups: Map<number, string> } {
  const users = new Map<number, string>();
  const groups = new Map<number, string>();
  for (const op of ops) {
    if (op.t !== 'principals') continue;
    for (const [k, v] of Object.entries(op.users)) users.set(Number(k), v);
    for (const [k, v] of Object.entries(op.groups)) groups.set(Number(k), v);
  }
  return { users, groups };
}

