import { describe, expect, it } from 'vitest';
import {
  createSessionSchema,
  ERROR_CODES,
  errorNameOf,
  eventBatchSchema,
  MAX_TIME_MS,
  parseOrThrow,
  ProtocolValidationError,
  sentinelFeedbackSchema,
  treeQuerySchema,
} from '@fustor/protocol';

const upsert = { op: 'upsert', path: '/a/b.dat', is_dir: false, size: 1, mtime_ms: 1706000123456.5 };

function problem(body: unknown): string {
  try {
    parseOrThrow(eventBatchSchema, body);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolValidationError);
    return (err as Error).message;
  }
  return 'valid';
}

describe('eventBatchSchema', () => {
  it('accepts the protocol.md example', () => {
    const batch = parseOrThrow(eventBatchSchema, {
      message_source: 'realtime',
      batch_seq: 42,
      command_id: null,
      events: [
        { ...upsert, observed_at_ms: 1706000123470, is_atomic_write: true },
        { op: 'delete', path: '/a/old.dat', observed_at_ms: 1706000123471 },
      ],
    });
    expect(batch.events).toHaveLength(2);
  });

  it.each([
    [{ message_source: 'realtime', batch_seq: 1, events: [{ ...upsert, path: 'a' }] }, "events[0].path: must start with '/'"],
    [{ message_source: 'realtime', batch_seq: 1, events: [upsert, { ...upsert, mtime: 1 }] }, "events[1]: unknown field 'mtime'"],
    [{ message_source: 'realtime', batch_seq: 1, events: [{ ...upsert, is_dir: undefined }] }, 'events[0].is_dir: is required'],
    [{ message_source: 'realtime', batch_seq: -1, events: [] }, 'batch_seq: must be >= 0'],
    [{ message_source: 'gossip', batch_seq: 1, events: [] }, 'message_source:'],
    [{ message_source: 'on_demand', batch_seq: 1, events: [] }, 'command_id: is required for on_demand batches'],
    [{ message_source: 'snapshot', batch_seq: 1, events: [{ op: 'delete', path: '/x' }] }, "events[0].op: snapshot batches carry only 'upsert' events"],
    [{ message_source: 'snapshot', batch_seq: 1, events: [{ ...upsert, is_atomic_write: false }] }, 'events[0].is_atomic_write: is allowed only in realtime batches'],
    [{ message_source: 'audit', batch_seq: 1, events: [{ ...upsert, audit_skipped: true }] }, 'events[0].audit_skipped: is allowed only on directories in audit batches'],
    [{ message_source: 'audit', batch_seq: 1, events: [{ ...upsert, parent_path: '/a' }] }, 'events[0].parent_mtime_ms: parent_path and parent_mtime_ms go together'],
    [{ message_source: 'realtime', batch_seq: 1, events: [{ ...upsert, mtime_ms: Infinity }] }, 'events[0].mtime_ms:'],
    [{ message_source: 'realtime', batch_seq: 1, events: [{ op: 'rename', path: '/x' }] }, 'events[0].op'],
  ])('rejects %j with a message naming the field', (body, expected) => {
    expect(problem(body)).toContain(expected);
  });
});

describe('number bounds', () => {
  const rt = (e: Record<string, unknown>) => ({ message_source: 'realtime', batch_seq: 1, events: [e] });
  it.each([
    // size 1e300 poisoned total_size forever; 2^64 and 1.5 are no byte counts
    [{ ...upsert, size: 1e300 }, 'events[0].size: must be a byte count'],
    [{ ...upsert, size: 2 ** 64 }, 'events[0].size: must be a byte count'],
    [{ ...upsert, size: 1.5 }, 'events[0].size: must be a byte count'],
    [{ ...upsert, size: -1 }, 'events[0].size: must be a byte count'],
    // an mtime of 1e300 made every ancestor unstable forever
    [{ ...upsert, mtime_ms: 1e300 }, 'events[0].mtime_ms: must be a time in ms since 1970'],
    [{ ...upsert, mtime_ms: -1e300 }, 'events[0].mtime_ms: must be a time in ms since 1970'],
    [{ ...upsert, mtime_ms: MAX_TIME_MS + 1 }, 'events[0].mtime_ms: must be a time'],
    [{ ...upsert, ctime_ms: -1 }, 'events[0].ctime_ms: must be a time'],
    [{ ...upsert, observed_at_ms: 1e300 }, 'events[0].observed_at_ms: must be a time'],
    [{ op: 'delete', path: '/x', observed_at_ms: -5 }, 'events[0].observed_at_ms: must be a time'],
    // a file upsert without size silently became 0
    [{ op: 'upsert', path: '/f', is_dir: false, mtime_ms: 1 }, 'events[0].size: is required when is_dir is false'],
  ])('rejects %j', (e, expected) => {
    expect(problem(rt(e))).toContain(expected);
  });
  it('accepts the edges of the window, fractional ms and a directory without size', () => {
    expect(problem(rt({ ...upsert, size: Number.MAX_SAFE_INTEGER, mtime_ms: MAX_TIME_MS, ctime_ms: 0 }))).toBe('valid');
    expect(problem(rt({ op: 'upsert', path: '/d', is_dir: true, mtime_ms: 0.5 }))).toBe('valid');
  });
  it('bounds sentinel results the same way', () => {
    expect(() => parseOrThrow(sentinelFeedbackSchema, { results: [{ path: '/a', exists: true, size: 1e300 }] })).toThrow(/^results\[0\]\.size: must be a byte count/);
    expect(() => parseOrThrow(sentinelFeedbackSchema, { results: [{ path: '/a', exists: true, mtime_ms: 1e300 }] })).toThrow(/^results\[0\]\.mtime_ms: must be a time/);
  });
});

describe('createSessionSchema', () => {
  it('rejects unknown keys and bad ids', () => {
    expect(() => parseOrThrow(createSessionSchema, { agent_id: 'a', pipe_id: 'p', extra: 1 })).toThrow(/unknown field 'extra'/);
    expect(() => parseOrThrow(createSessionSchema, { agent_id: 'a b', pipe_id: 'p' })).toThrow(/^agent_id: may contain only/);
  });
});

describe('treeQuerySchema', () => {
  it('coerces query strings and applies defaults', () => {
    const q = parseOrThrow(treeQuerySchema, { path: 'a/b/', depth: '2' });
    expect(q).toMatchObject({ path: '/a/b', depth: 2, page: 1, page_size: 100, sort_by: 'name', only_path: false });
  });
  it('rejects page_size over 1000', () => {
    expect(() => parseOrThrow(treeQuerySchema, { page_size: '1001' })).toThrow('page_size: must be an integer from 1 to 1000');
  });
});

describe('error codes', () => {
  it('are unique and round-trip', () => {
    const codes = Object.values(ERROR_CODES).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(errorNameOf(40402)).toBe('SESSION_EXPIRED');
  });
});

describe('sentinelFeedbackSchema', () => {
  const found = { path: '/a/l', exists: true, size: 6, mtime_ms: 1, kind: 'symlink', uid: 1001, gid: 100, mode: 0o777, ctime_ms: 2 };
  it('accepts the metadata fields of a re-stat, and results without them (older agents)', () => {
    expect(parseOrThrow(sentinelFeedbackSchema, { results: [found, { path: '/b', exists: false }] }).results[0]).toEqual(found);
  });
  it.each([
    [{ ...found, kind: 'pipe' }, 'results[0].kind'],
    [{ ...found, mode: 0o100644 }, 'results[0].mode: must be permission bits (st_mode & 0o7777)'],
    [{ ...found, uid: -1 }, 'results[0].uid: must be >= 0'],
    [{ ...found, gid: 2 ** 32 - 1 }, 'results[0].gid: must be at most 4294967294'],
  ])('validates them as on an upsert: %j', (r, message) => {
    expect(() => parseOrThrow(sentinelFeedbackSchema, { results: [r] })).toThrow(message);
  });
});
