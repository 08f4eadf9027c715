// The change feed (role read): GET /views/{v}/changes polled with since/limit, or as SSE with Accept: text/event-stream.

import { Router, type Request } from 'express';
import { changesQuerySchema, parseOrThrow, type ChangesPage } from '@fustor/protocol';
import { ConflictError, ValidationError } from '../errors.js';
import { toEntry } from '../feed/entry.js';
import { recordFilter } from '../feed/filter.js';
import { SseStream } from '../feed/sse-stream.js';
import { sendOk } from '../server/envelope.js';
import type { RouteContext } from './context.js';
import { readView } from './queries.js';

/** Entries examined per poll at most, so a filter matching little cannot make one request scan the whole log. */
const MAX_SCAN = 100_000;

function wantsStream(req: Request): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}

/** Last-Event-ID (an EventSource reconnecting) wins over `since` (its URL still carries the first one). */
function lastEventId(req: Request): number | undefined {
  const h = req.headers['last-event-id'];
  if (typeof h !== 'string' || h === '') return undefined;
  if (!/^[0-9]{1,15}$/.test(h)) throw new ValidationError('Last-Event-ID', 'must be a cursor sent as an SSE id');
  return Number(h);
}

export function changeRoutes(ctx: RouteContext): Router {
  const r = Router();

  r.get('/views/:view/changes', async (req, res) => {
    const engine = readView(ctx, req);
    const q = parseOrThrow(changesQuerySchema, req.query);
    const stream = wantsStream(req);
    const { oldest_since, latest } = engine.feedBounds();
    // Polling without a cursor starts at the oldest kept entry; a stream without one starts now.
    const since = lastEventId(req) ?? q.since ?? (stream ? latest : oldest_since);
    if (since < oldest_since) {
      throw new ConflictError(`cursor ${since} is older than the feed's retention; resume from since=${oldest_since} (re-read the tree first: entries were dropped)`, {
        oldest_cursor: oldest_since,
      });
    }
    if (since > latest) {
      throw new ConflictError(`cursor ${since} is ahead of the newest entry (${latest}): it belongs to another database; restart from since=${latest} after re-reading the tree`, {
        latest_cursor: latest,
        oldest_cursor: oldest_since,
      });
    }
    const filter = recordFilter(q);
    if (!stream) {
      const { records, next } = await engine.changes(since, q.limit, filter, MAX_SCAN);
      const page: ChangesPage = { items: records.map((x) => toEntry(x, engine.labels)), next_cursor: next, latest_cursor: engine.feedBounds().latest };
      return sendOk(res, page);
    }
    const s = new SseStream(res, {
      engine,
      filter,
      since,
      maxLag: ctx.feedMaxLag(),
      attach: (x) => ctx.feed.attach(x),
      detach: (x) => ctx.feed.detach(x),
    });
    await s.start();
  });

  return r;
}
