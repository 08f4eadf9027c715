// The ingest fast path may only accept what eventBatchSchema accepts, with the same value (checked on mutated batches).

import { describe, expect, it } from 'vitest';
import { eventBatchSchema } from '@fustor/protocol';
import { fastAcceptBatch } from '../../src/routes/fast-batch.js';
import { seededRandom } from '@fustor/test-helpers';

// Number bounds: sizes are safe integers >= 0, times ms in [1970, 2200); 1e300, 2^64, 1.5 and
// ±1e300 were accepted before.
const VALUES: unknown[] = [undefined, null, 0, -1, 1.5, 2 ** 60, 2 ** 64, 1e300, -1e300, Number.MAX_SAFE_INTEGER + 2, 7_258_118_400_000, 7_258_118_400_001, -0.5, 0o7777, 0o10000, 4294967294, 4294967295, 'file', 'dir', 'symlink', 'fifo', 'bogus-kind', '', 'x', '/a', '/a/', '//a', '/a/../b', '/ok/p', true, false, [], {}, 'realtime', 'snapshot', 'audit', 'on_demand', 'upsert', 'delete', Number.MAX_SAFE_INTEGER];
const KEYS = ['op', 'path', 'is_dir', 'size', 'mtime_ms', 'observed_at_ms', 'is_atomic_write', 'parent_path', 'parent_mtime_ms', 'audit_skipped', 'kind', 'uid', 'gid', 'mode', 'ctime_ms', 'bogus', 'message_source', 'batch_seq', 'command_id', 'events'];

function base(r: () => number): any {
  const sources = ['realtime', 'snapshot', 'audit', 'on_demand'];
  const source = sources[Math.floor(r() * 4)]!;
  const events = Array.from({ length: 1 + Math.floor(r() * 4) }, (_, i) =>
    r() < 0.2 && source !== 'snapshot'
      ? { op: 'delete', path: `/d${i}`, observed_at_ms: 5 }
      : (() => {
          const dir = r() < 0.3;
          const meta = r() < 0.5 ? { kind: dir ? 'dir' : 'file', uid: 1000, gid: 100, mode: 0o644, ctime_ms: 2.5 } : {};
          return { op: 'upsert', path: `/a/f${i}`, is_dir: dir, size: 10, mtime_ms: 1.5, ...meta, ...(source === 'audit' ? { parent_path: '/a', parent_mtime_ms: 1 } : {}) };
        })(),
  );
  return { message_source: source, batch_seq: Math.floor(r() * 10), ...(source === 'on_demand' ? { command_id: 'c1' } : {}), events };
}

describe('fastAcceptBatch', () => {
  it('agrees with zod on 20,000 mutated batches (never accepts what zod rejects, same output)', () => {
    const r = seededRandom(7);
    let fastAccepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const b = base(r);
      const mutations = Math.floor(r() * 3);
      for (let m = 0; m < mutations; m++) {
        const evs = Array.isArray(b.events) ? b.events.filter((e: unknown) => typeof e === 'object' && e !== null) : [];
        const target = r() < 0.3 || evs.length === 0 ? b : evs[Math.floor(r() * evs.length)];
        const key = KEYS[Math.floor(r() * KEYS.length)]!;
        const value = VALUES[Math.floor(r() * VALUES.length)];
        if (value === undefined) delete target[key];
        else target[key] = value;
      }
      const fast = fastAcceptBatch(b);
      const slow = eventBatchSchema.safeParse(b);
      if (fast) {
        fastAccepted++;
        expect(slow.success, JSON.stringify(b)).toBe(true);
        expect(fast).toEqual(slow.data);
      }
    }
    // the fast path must actually carry the common case
    expect(fastAccepted).toBeGreaterThan(2000);
  });
});
