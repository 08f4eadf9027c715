// Event ingest (role ingest): whole-batch validation, leader-only sources, strict batch_seq order with idempotent retries.

import { Router } from 'express';
import { eventBatchSchema, listingEventCursor, LISTINGS_CONTENT_TYPE, parseOrThrow, type EventBatchResult, type FileEvent, type MessageSource } from '@fustor/protocol';
import { readListingBatch } from '@fustor/protocol/listing-codec';
import { ConflictError, NotFoundError, NotLeaderError } from '../errors.js';
import { sendOk } from '../server/envelope.js';
import { durable, takesBody, type RouteContext } from './context.js';
import { fastAcceptBatch } from './fast-batch.js';
import { ingestSession } from './sessions.js';

/** A batch validated whole: its events may be an array (JSON) or a cursor over listings (compact). */
interface ValidBatch {
  message_source: MessageSource;
  batch_seq: number;
  command_id?: string | null;
  count: number;
  events: Iterable<FileEvent>;
}

/** Hot path: the fast check accepts well-formed batches; zod handles the rest and words the error. */
function validateBatch(ctx: RouteContext, body: unknown): ValidBatch {
  // A compact scan batch (docs/api.md): listings checked whole, then applied through one reused
  // event object (the events the listings stand for, without an object per file).
  if (Buffer.isBuffer(body)) {
    try {
      const b = readListingBatch(body);
      return { ...b, events: listingEventCursor(b.listings) };
    } catch (err) {
      ctx.metrics.countEvents('unknown', 'rejected', 0);
      throw err;
    }
  }
  const fast = fastAcceptBatch(body);
  if (fast) return { ...fast, count: fast.events.length };
  try {
    const b = parseOrThrow(eventBatchSchema, body ?? {});
    return { ...b, count: b.events.length };
  } catch (err) {
    const b = body as { events?: unknown; message_source?: unknown } | null;
    const n = Array.isArray(b?.events) ? b.events.length : 0;
    ctx.metrics.countEvents(typeof b?.message_source === 'string' ? b.message_source.slice(0, 16) : 'unknown', 'rejected', n);
    throw err;
  }
}

export function eventRoutes(ctx: RouteContext): Router {
  const r = Router();

  // A compact scan batch comes as its bytes (docs/api.md, "Compact scan batches"); JSON is parsed as everywhere.
  r.post('/pipe/sessions/:sid/events', takesBody(ctx, 'ingest', LISTINGS_CONTENT_TYPE), async (req, res) => {
    const t0 = performance.now();
    const { session } = ingestSession(ctx, req);
    const batch = validateBatch(ctx, req.body);
    const src = batch.message_source;
    if ((src === 'snapshot' || src === 'audit') && session.rec.role !== 'leader') {
      throw new NotLeaderError(`${src} batches are accepted only from the view leader; this session is a follower`);
    }
    const last = session.rec.last_batch_seq;
    // The first batch of a session may start at any number; after that, strictly +1.
    if (last >= 0 && batch.batch_seq <= last) {
      // Already applied; say so only once it is durable (a retry racing the first attempt's commit).
      const applied = ctx.store.view(session.rec.view);
      if (applied) await durable(applied);
      ctx.metrics.countEvents(src, 'duplicate', batch.count);
      const dup: EventBatchResult = { accepted: 0, ignored: 0, batch_seq: batch.batch_seq, duplicate: true };
      return sendOk(res, dup);
    }
    if (last >= 0 && batch.batch_seq !== last + 1) {
      throw new ConflictError(`batch_seq ${batch.batch_seq} skips ahead; expected ${last + 1} (send batches of a session one at a time, in order)`, {
        expected_seq: last + 1,
      });
    }
    const engine = ctx.store.view(session.rec.view);
    if (!engine) throw new NotFoundError(`view '${session.rec.view}' is no longer configured`);
    const result = engine.applyBatch(src, batch.events, {
      session_id: session.rec.session_id,
      agent_id: session.rec.agent_id,
      batch_seq: batch.batch_seq,
      command_id: batch.command_id ?? null,
    });
    ctx.sessions.noteBatch(session, batch.batch_seq);
    try {
      await durable(engine);
    } catch (err) {
      // Not stored (PostgreSQL gone): the agent resends this batch_seq, which must not read as a duplicate.
      if (session.rec.last_batch_seq === batch.batch_seq) session.rec.last_batch_seq = last;
      throw err;
    }
    ctx.metrics.countEvents(src, 'accepted', result.accepted);
    ctx.metrics.countEvents(src, 'ignored', result.ignored);
    ctx.metrics.observeBatch(src, performance.now() - t0);
    const out: EventBatchResult = { accepted: result.accepted, ignored: result.ignored, batch_seq: batch.batch_seq, duplicate: false };
    sendOk(res, out);
  });

  return r;
}
