// File metadata and provenance of consumers.md §1 in the engine: stored compactly, answered in every node, persisted.

import { afterEach, describe, expect, it } from 'vitest';
import type { FileEvent, UpsertEvent } from '@fustor/protocol';
import { Harness, T0 } from './harness.js';

const meta = { kind: 'file', uid: 1001, gid: 100, mode: 0o640, ctime_ms: T0 + 5 } as const;
const file = (path: string, extra: Partial<UpsertEvent> = {}): FileEvent => ({
  op: 'upsert', path, is_dir: false, size: 10, mtime_ms: T0, ...meta, ...extra,
});

let h: Harness | undefined;
afterEach(() => h?.close());

describe('file metadata (consumers.md §1)', () => {
  it('answers kind, ids, mode, ctime and names once the agent sent principals', () => {
    h = new Harness();
    h.send('realtime', [file('/d/f')]);
    expect(h.node('/d/f')).toMatchObject({ kind: 'file', uid: 1001, gid: 100, mode: 0o640, ctime_ms: T0 + 5, owner: null, group: null });
    h.v.setPrincipals({ '1001': 'alice' }, { '100': 'lab' });
    expect(h.node('/d/f')).toMatchObject({ owner: 'alice', group: 'lab' });
  });

  it('reports symlinks, FIFOs, sockets and devices as what they are', () => {
    h = new Harness();
    const kinds = ['symlink', 'fifo', 'socket', 'device'] as const;
    h.send('snapshot', kinds.map((k) => file(`/${k}`, { kind: k })));
    for (const k of kinds) expect(h.node(`/${k}`)).toMatchObject({ kind: k, is_dir: false });
  });

  it('keeps metadata an older agent does not send as null (never invented), directories as dir', () => {
    h = new Harness();
    h.send('realtime', [{ op: 'upsert', path: '/old/f', is_dir: false, size: 1, mtime_ms: T0 }]);
    expect(h.node('/old/f')).toMatchObject({ kind: null, uid: null, gid: null, mode: null, ctime_ms: null, owner: null });
    expect(h.node('/old')).toMatchObject({ kind: 'dir', uid: null });
  });

  it('an event without a field keeps the value learned before (absence is not evidence)', () => {
    h = new Harness();
    h.send('realtime', [file('/f')]);
    h.send('realtime', [{ op: 'upsert', path: '/f', is_dir: false, size: 20, mtime_ms: T0 + 1 }]);
    expect(h.node('/f')).toMatchObject({ size: 20, uid: 1001, mode: 0o640 });
  });

  it('a chmod/chown seen by realtime (same size and mtime) updates the node', () => {
    h = new Harness();
    h.send('realtime', [file('/f')]);
    h.send('realtime', [file('/f', { uid: 0, mode: 0o600, ctime_ms: T0 + 9 })]);
    expect(h.node('/f')).toMatchObject({ uid: 0, mode: 0o600, ctime_ms: T0 + 9 });
  });

  it('an audit with the same mtime but a newer ctime updates metadata only, an older ctime changes nothing', () => {
    h = new Harness();
    h.send('realtime', [file('/d/f')]);
    h.v.auditStart();
    h.send('audit', [file('/d/f', { mode: 0o777, ctime_ms: T0 + 1, parent_path: '/d', parent_mtime_ms: 0 })]);
    expect(h.node('/d/f')).toMatchObject({ mode: 0o640 });
    h.send('audit', [file('/d/f', { mode: 0o600, ctime_ms: T0 + 50, size: 999, parent_path: '/d', parent_mtime_ms: 0 })]);
    expect(h.node('/d/f')).toMatchObject({ mode: 0o600, size: 10, blind_spot: null });
    h.v.auditEnd(false);
  });
});

describe('provenance (consumers.md §1)', () => {
  it('records the agent and message source that last changed a node, not one that changed nothing', () => {
    h = new Harness();
    h.v.applyBatch('realtime', [file('/a')], { session_id: 's1', agent_id: 'node-a', batch_seq: 0 });
    expect(h.node('/a')).toMatchObject({ last_agent_id: 'node-a', last_source: 'realtime' });
    h.v.applyBatch('snapshot', [file('/a')], { session_id: 's2', agent_id: 'node-b', batch_seq: 0 });
    expect(h.node('/a')).toMatchObject({ last_agent_id: 'node-a', last_source: 'realtime' });
    h.v.applyBatch('snapshot', [file('/a', { size: 11 })], { session_id: 's2', agent_id: 'node-b', batch_seq: 1 });
    expect(h.node('/a')).toMatchObject({ last_agent_id: 'node-b', last_source: 'snapshot' });
  });

  it('implied parent directories carry the provenance of the event that created them', () => {
    h = new Harness();
    h.v.applyBatch('realtime', [file('/x/y/z')], { session_id: 's1', agent_id: 'node-a', batch_seq: 0 });
    expect(h.node('/x/y')).toMatchObject({ kind: 'dir', last_agent_id: 'node-a', last_source: 'realtime' });
  });
});

describe('persistence', () => {
  it('metadata, provenance and names survive a restart from the node log and from a checkpoint', () => {
    h = new Harness({ file: true });
    h.v.applyBatch('realtime', [file('/p/f', { kind: 'fifo' })], { session_id: 's1', agent_id: 'node-a', batch_seq: 0 });
    h.v.setPrincipals({ '1001': 'alice' }, { '100': 'lab' });
    const want = { kind: 'fifo', uid: 1001, gid: 100, mode: 0o640, ctime_ms: T0 + 5, owner: 'alice', group: 'lab', last_agent_id: 'node-a', last_source: 'realtime' };
    // Crash-like reopen: the log is replayed (no checkpoint on this path).
    const crashed = h.open();
    expect(crashed.view('v')!.tree('/p/f', { depth: 1, page: 1, page_size: 10, sort_by: 'name', sort_order: 'asc', only_path: false })).toMatchObject(want);
    crashed.close();
    h.store.close();
    // Clean close folded the log into chunks.
    h.store = h.open();
    expect(h.node('/p/f')).toMatchObject(want);
  });

  it('a reset keeps the names (they describe the view, not its nodes)', () => {
    h = new Harness();
    h.v.setPrincipals({ '7': 'bob' }, {});
    h.v.reset();
    h.send('realtime', [file('/f', { uid: 7 })]);
    expect(h.node('/f')).toMatchObject({ owner: 'bob' });
  });
});

describe('directory mtimes', () => {
  it('regression: a snapshot listing older than a realtime directory mtime does not roll it back', () => {
    h = new Harness();
    h.send('realtime', [{ op: 'upsert', path: '/d', is_dir: true, mtime_ms: T0 + 500 }]);
    h.send('snapshot', [{ op: 'upsert', path: '/d', is_dir: true, mtime_ms: T0, kind: 'dir', uid: 7 }]);
    expect(h.node('/d')).toMatchObject({ mtime_ms: T0 + 500, uid: 7 });
    h.send('snapshot', [{ op: 'upsert', path: '/d', is_dir: true, mtime_ms: T0 + 900 }]);
    expect(h.node('/d')).toMatchObject({ mtime_ms: T0 + 900 });
  });
});
