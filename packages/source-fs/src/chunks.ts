// Conversions between scan chunks (listings) and upsert events, for consumers that want one or the other.

import { listingEvents, listingsOf, type Listing, type UpsertEvent } from '@fustor/protocol';
import { decodeRows } from '@fustor/protocol/listing-codec';
import type { ScanChunk } from './types.js';

/** The upsert events of a chunk, in order. */
export function chunkEvents(c: ScanChunk): UpsertEvent[] {
  if (c.events !== undefined) return c.events;
  const out: UpsertEvent[] = [];
  for (const l of plainListings(c)) listingEvents(l, out);
  return out;
}

/** A chunk's listings with packed rows (ScanChunk.packed) decoded into them: copies, the chunk is left as it is. */
export function plainListings(c: ScanChunk): Listing[] {
  const packed = c.packed;
  if (packed === undefined || packed.size === 0) return c.listings!;
  return c.listings!.map((l) => {
    const p = packed.get(l);
    return p === undefined ? l : ([...l, ...decodeRows(p)] as Listing);
  });
}

/** A chunk of events (listings too when every event has a listing form). */
export function eventsChunk(events: UpsertEvent[]): ScanChunk {
  return { listings: listingsOf(events), events, count: events.length };
}
