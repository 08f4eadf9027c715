// Conversions between scan chunks (listings) and upsert events, for consumers that want one or the other.

import { listingEvents, listingsOf, type UpsertEvent } from '@fustor/protocol';
import type { ScanChunk } from './types.js';

/** The upsert events of a chunk, in order. */
export function chunkEvents(c: ScanChunk): UpsertEvent[] {
  if (c.events !== undefined) return c.events;
  const out: UpsertEvent[] = [];
  for (const l of c.listings!) listingEvents(l, out);
  return out;
}

/** A chunk of events (listings too when every event has a listing form). */
export function eventsChunk(events: UpsertEvent[]): ScanChunk {
  return { listings: listingsOf(events), events, count: events.length };
}
