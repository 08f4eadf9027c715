// Compact scan batches on the agent side: the session negotiation and its fallback, and listings through the outbox.

import { describe, expect, it } from 'vitest';
import { listingsOf, type CreateSessionRequest, type EventBatch, type EventBatchResult, type SessionCreated, type UpsertEvent } from '@fustor/protocol';
import { decodeListingBatch, listingBatchBody, type ListingBatchHead } from '@fustor/protocol/listing-codec';
import { tempTree, waitFor } from '@fustor/test-helpers';
import { FusionError } from '../src/errors.js';
import { openSession } from '../src/pipes/open-session.js';
import { SessionOutbox } from '../src/senders/outbox.js';
import { RealtimeQueue } from '../src/spool/realtime-queue.js';
import { Spool } from '../src/spool/spool.js';
import type { Sender } from '../src/senders/types.js';

const created: SessionCreated = { session_id: 's1', view: 'v', role: 'leader', timeout_sec: 30, heartbeat_interval_sec: 15, server_time_ms: 0 };
const req: CreateSessionRequest = { agent_id: 'a', pipe_id: 'p' };

function senderOpening(answer: (r: CreateSessionRequest) => SessionCreated, withListings = true): Sender & { seen: CreateSessionRequest[] } {
  const seen: CreateSessionRequest[] = [];
  const s = {
    seen,
    async openSession(r: CreateSessionRequest) {
      seen.push(r);
      return answer(r);
    },
    ...(withListings ? { postListings: async () => ({ accepted: 0, ignored: 0, batch_seq: 0, duplicate: false }) } : {}),
  };
  return s as unknown as Sender & { seen: CreateSessionRequest[] };
}

describe('session negotiation', () => {
  it('offers listings first, then json, and takes what Fusion answers', async () => {
    const s = senderOpening(() => ({ ...created, scan_encoding: 'listings+msgpack' }));
    expect((await openSession(s, req)).scan_encoding).toBe('listings+msgpack');
    expect(s.seen).toEqual([{ ...req, scan_encodings: ['listings+msgpack', 'json'] }]);
  });

  it('regression: a Fusion older than the negotiation refuses the field (40001 naming it); the agent opens again without it', async () => {
    const s = senderOpening((r) => {
      if (r.scan_encodings) throw new FusionError(400, 40001, "unknown field 'scan_encodings'");
      return created;
    });
    const got = await openSession(s, req);
    expect(got.scan_encoding).toBeUndefined();
    expect(s.seen).toHaveLength(2);
    expect(s.seen[1]).toEqual(req);
  });

  it('any other refusal stays a refusal, and a sender that cannot post listings offers nothing', async () => {
    const s = senderOpening(() => {
      throw new FusionError(400, 40001, 'agent_id: must not be empty');
    });
    await expect(openSession(s, req)).rejects.toThrow('agent_id');
    expect(s.seen).toHaveLength(1);
    const plain = senderOpening(() => created, false);
    await openSession(plain, req);
    expect(plain.seen).toEqual([req]);
  });
});

const up = (path: string, parent: string, extra: Partial<UpsertEvent> = {}): UpsertEvent => ({
  op: 'upsert', path, is_dir: false, size: 1, mtime_ms: 2, observed_at_ms: 3, parent_path: parent, parent_mtime_ms: 4, kind: 'file', uid: 1, gid: 2, mode: 0o644, ctime_ms: 5, ...extra,
});

describe('outbox with the listings encoding', () => {
  it('packs listing chunks, merges them up to scan_batch_max_events, and never merges them with a JSON chunk', async () => {
    const tmp = tempTree();
    const batches: Array<{ kind: 'listings' | 'events'; batch: EventBatch }> = [];
    let release: () => void = () => undefined;
    let onWire = 0;
    const gate = new Promise<void>((r) => (release = r));
    const ok = (b: { batch_seq: number }, n: number): EventBatchResult => ({ accepted: n, ignored: 0, batch_seq: b.batch_seq, duplicate: false });
    const sender = {
      async postListings(_sid: string, head: ListingBatchHead, chunks: readonly Buffer[], listings: number) {
        const batch = decodeListingBatch(listingBatchBody(head, chunks, listings));
        onWire++;
        if (batches.length === 0) await gate;
        batches.push({ kind: 'listings', batch });
        return ok(batch, batch.events.length);
      },
      async postEncoded(_sid: string, b: { batch_seq: number; message_source: string; chunks: readonly Buffer[] }) {
        const events = JSON.parse(`[${b.chunks.map((c) => c.toString()).join(',')}]`);
        batches.push({ kind: 'events', batch: { message_source: b.message_source as 'snapshot', batch_seq: b.batch_seq, events } });
        return ok(b, events.length);
      },
    } as unknown as Sender;
    const queue = new RealtimeQueue({ spool: new Spool({ dir: tmp.dir, maxBytes: 1 << 20, segmentBytes: 1 << 16, fsync: 'rotate' }), onLoss: () => undefined });
    const ob = new SessionOutbox({
      sender, sessionId: 's1', queue, batchMax: 100, scanBatchMax: 6, scanEncoding: 'listings+msgpack',
      hooks: { online: () => undefined, sent: () => undefined, rejected: () => undefined, error: () => undefined },
    });
    const ctl = new AbortController();
    const running = ob.run(ctl.signal);
    const stream = ob.stream('snapshot');
    const chunk = (evs: UpsertEvent[]) => ({ listings: listingsOf(evs), events: evs, count: evs.length });
    await stream.write(chunk([up('/a/0', '/a')]));
    await waitFor(() => onWire === 1, 'the first chunk on the wire (held there)');
    await stream.write(chunk([up('/a/1', '/a'), up('/a/2', '/a')]));
    await stream.write(chunk([up('/b/0', '/b'), up('/b/1', '/b'), up('/b/2', '/b')]));
    await stream.write(chunk([up('/c', '/', { is_atomic_write: undefined, observed_at_ms: undefined })])); // no listing form: JSON
    await stream.write(chunk([up('/d/0', '/d')]));
    release();
    const out = await stream.finish();
    expect(out.complete).toBe(true);
    await waitFor(() => batches.length === 4, 'four batches');
    expect(batches.map((b) => [b.kind, b.batch.events.map((e) => e.path)])).toEqual([
      ['listings', ['/a/0']],
      ['listings', ['/a/1', '/a/2', '/b/0', '/b/1', '/b/2']],
      ['events', ['/c']],
      ['listings', ['/d/0']],
    ]);
    expect(batches.map((b) => b.batch.batch_seq)).toEqual([0, 1, 2, 3]);
    expect(batches[1]!.batch.events[3]).toEqual(up('/b/1', '/b'));
    ctl.abort();
    await running;
    tmp.cleanup();
  });
});
