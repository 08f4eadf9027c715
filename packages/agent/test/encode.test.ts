// The hand-rolled batch encoder must produce the document JSON.stringify produces, for every event shape.

import type { FileEvent, UpsertEvent } from '@fustor/protocol';
import { describe, expect, it } from 'vitest';
import { decodeChunks, encodeChunk, encodedBatchBody, encodeEvent, encodeEvents } from '../src/senders/encode.js';

// Key order as the scanner and watcher build them, so the fast path is compared byte for byte.
const scanFile: FileEvent = {
  op: 'upsert', path: '/p001/run00001/f0001.dat', is_dir: false, size: 42, mtime_ms: 1763750000123.4567, observed_at_ms: 1763750001234,
  parent_path: '/p001/run00001', parent_mtime_ms: 1763750000000.5,
};
const scanDir: FileEvent = { op: 'upsert', path: '/p001', is_dir: true, mtime_ms: 1763750000000, observed_at_ms: 1763750001234, parent_path: '/', parent_mtime_ms: 1 };
const root: FileEvent = { op: 'upsert', path: '/', is_dir: true, mtime_ms: 5, observed_at_ms: 6 };
const auditDir: FileEvent = { op: 'upsert', path: '/a', is_dir: true, mtime_ms: 5, observed_at_ms: 6, parent_path: '/', parent_mtime_ms: 7, audit_skipped: true };
const realtime: FileEvent = { op: 'upsert', path: '/a/b.dat', is_dir: false, size: 1e21, mtime_ms: 7e12, observed_at_ms: 1.5e-7, is_atomic_write: false };
const del: FileEvent = { op: 'delete', path: '/a/old.dat', observed_at_ms: 9 };
const delDir: FileEvent = { op: 'delete', path: '/a', is_dir: true };

// consumers.md §1 metadata, as the scanner appends it (scan/scan-entry.ts).
const meta = { kind: 'file', uid: 1001, gid: 100, mode: 0o644, ctime_ms: 1763750000999.25 } as const;
const scanFileMeta = { ...scanFile, ...meta } as FileEvent;
const scanDirMeta = { ...scanDir, kind: 'dir', uid: 0, gid: 0, mode: 0o2775, ctime_ms: 1763750000000 } as FileEvent;
const auditDirMeta: FileEvent = {
  op: 'upsert', path: '/a', is_dir: true, mtime_ms: 5, observed_at_ms: 6, parent_path: '/', parent_mtime_ms: 7,
  kind: 'dir', uid: 3, gid: 4, mode: 0o755, ctime_ms: 8, audit_skipped: false,
};

describe('event encoder', () => {
  it('writes the metadata fields (kind, uid, gid, mode, ctime_ms) byte for byte as JSON.stringify', () => {
    const link = { ...scanFileMeta, kind: 'symlink', mode: 0o777, ctime_ms: (scanFile as UpsertEvent).mtime_ms } as FileEvent;
    const rootMeta = { ...root, kind: 'dir', uid: 0, gid: 0, mode: 0o755, ctime_ms: 9 } as FileEvent;
    for (const e of [scanFileMeta, scanDirMeta, auditDirMeta, link, rootMeta]) expect(encodeEvent(e)).toBe(JSON.stringify(e));
    // Partial metadata (an older or other producer) goes through the general path, still exact.
    const partial: FileEvent = { ...scanFile, uid: 5 };
    expect(encodeEvent(partial)).toBe(JSON.stringify(partial));
    const oddKind = { ...scanFileMeta, kind: 'we"ird' } as unknown as FileEvent;
    expect(JSON.parse(encodeEvent(oddKind))).toEqual(oddKind);
  });

  it('chunk encoding pre-formats the times of every event: exact also with non-numeric and missing times mixed in', () => {
    const events = [
      scanFileMeta, scanFile, del, { ...scanFileMeta, mtime_ms: NaN }, { ...scanFileMeta, ctime_ms: -0 },
      { ...scanFileMeta, mtime_ms: '1,2' } as unknown as FileEvent, { ...scanFileMeta, ctime_ms: 7.2e12 }, realtime, scanDirMeta,
    ];
    expect(`[${encodeEvents(events)}]`).toBe(JSON.stringify(events));
  });

  it('regression guard for the shared metadata cache: runs of one owner, then changes of each field', () => {
    const events: FileEvent[] = [];
    const variants = [{}, {}, { uid: 7 }, { uid: 7 }, { gid: 8 }, { mode: 0o600 }, { kind: 'fifo' as const }, { ctime_ms: NaN }, { uid: -0 }, {}];
    for (const [i, v] of variants.entries()) events.push({ ...scanFileMeta, path: `/d/f${i}`, ...v });
    expect(`[${encodeEvents(events)}]`).toBe(JSON.stringify(events));
  });


  it('matches JSON.stringify for scan, audit, realtime and delete events', () => {
    for (const e of [scanFile, scanDir, root, auditDir, realtime, del, delDir]) expect(encodeEvent(e)).toBe(JSON.stringify(e));
    const all = [scanFile, scanDir, root, auditDir, realtime, del, delDir];
    expect(`[${encodeEvents(all)}]`).toBe(JSON.stringify(all));
    expect(encodeEvents([])).toBe('');
  });

  it('regression guard for the shared-tail cache: runs of one directory, changes of observed_at_ms, parent or parent mtime', () => {
    const events: FileEvent[] = [];
    for (let d = 0; d < 3; d++) {
      for (let f = 0; f < 4; f++) {
        events.push({ ...scanFile, path: `/d${d}/f${f}`, size: f, observed_at_ms: 100 + (f >> 1), parent_path: `/d${d}`, parent_mtime_ms: d === 2 ? -0 : 50 + f * (d & 1) });
      }
    }
    events.push({ ...scanFile, parent_path: '/caf\u00e9' }, { ...scanFile, observed_at_ms: NaN }, { ...scanFile, observed_at_ms: NaN });
    expect(`[${encodeEvents(events)}]`).toBe(JSON.stringify(events));
  });

  it('escapes names exactly as JSON.stringify: quotes, backslashes, control characters, non-ASCII, lone surrogates', () => {
    const names = ['/q"uote', '/back\\slash', '/new\nline', '/tab\tand\u0001', '/caf\u00e9', '/\u{1F600}', '/lone\ud800', '/del\u007f', '/%2F/~'];
    for (const path of names) {
      const e: FileEvent = { ...scanFile, path, parent_path: path };
      expect(encodeEvent(e)).toBe(JSON.stringify(e));
      expect(JSON.parse(encodeEvent(e))).toEqual(e);
    }
  });

  it('writes non-finite numbers as null, as JSON.stringify does (Fusion then rejects the event)', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const e = { ...scanFile, size: bad } as FileEvent;
      expect(encodeEvent(e)).toBe(JSON.stringify(e));
    }
    const e = { ...scanFile, mtime_ms: NaN } as FileEvent;
    expect(encodeEvent(e)).toBe(JSON.stringify(e));
    const negZero = { ...scanFile, size: -0 } as FileEvent;
    expect(encodeEvent(negZero)).toBe(JSON.stringify(negZero));
  });

  it('clamps times outside 1970 … 2200 into the window, so one file dated 1969 or 2300 does not get its batch rejected', () => {
    const MAX = Date.UTC(2200, 0, 1);
    const old = { ...scanFile, mtime_ms: -86_400_000, observed_at_ms: -1, parent_mtime_ms: 1e300 } as FileEvent;
    expect(JSON.parse(encodeEvent(old))).toEqual({ ...old, mtime_ms: 0, observed_at_ms: 0, parent_mtime_ms: MAX });
    const rt = { ...realtime, mtime_ms: 1e21 } as FileEvent;
    expect(JSON.parse(encodeEvent(rt))).toEqual({ ...rt, mtime_ms: MAX });
    const gone = { op: 'delete', path: '/x', observed_at_ms: -3 } as FileEvent;
    expect(JSON.parse(encodeEvent(gone))).toEqual({ ...gone, observed_at_ms: 0 });
  });

  it('a body of merged chunks is the JSON of the whole batch, and chunks decode back to the events', () => {
    const a = [scanDir, scanFile];
    const b = [auditDir, del];
    const body = encodedBatchBody({ message_source: 'audit', batch_seq: 7, command_id: 'cmd_1', chunks: [encodeChunk(a), encodeChunk(b)], count: 4 });
    expect(JSON.parse(body.toString('utf8'))).toEqual({ message_source: 'audit', batch_seq: 7, command_id: 'cmd_1', events: [...a, ...b] });
    expect(body.toString('utf8')).toBe(JSON.stringify({ message_source: 'audit', batch_seq: 7, command_id: 'cmd_1', events: [...a, ...b] }));
    expect(decodeChunks([encodeChunk(a), encodeChunk(b)])).toEqual([...a, ...b]);
    const noCommand = encodedBatchBody({ message_source: 'snapshot', batch_seq: 0, chunks: [encodeChunk([root])], count: 1 });
    expect(noCommand.toString('utf8')).toBe(JSON.stringify({ message_source: 'snapshot', batch_seq: 0, events: [root] }));
  });
});
