// One written scan chunk waiting for the wire, encoded for the session: MessagePack listings, JSON events, or objects.
//
// Scan chunks are encoded when they are written (so the next body is ready the moment Fusion answers)
// and kept as Buffers off the JS heap. With the compact encoding a chunk's listings are packed as
// they come from the scanner — no event object, no full path per entry; otherwise (an older Fusion)
// its events are encoded as JSON (encode.ts), byte-compatible with what every Fusion accepts.

import { clampListingTimes, listingsOf, type UpsertEvent } from '@fustor/protocol';
import { decodeListings, encodeListings } from '@fustor/protocol/listing-codec';
import { chunkEvents, type ScanChunk } from '@fustor/source-fs';
import { decodeChunks, encodeChunk } from './encode.js';
import type { ScanSource, ScanStream } from './scan-stream.js';

/** How the session sends scan chunks. */
export type JobEncoding = 'listings' | 'json' | 'objects';

export interface ScanJob {
  source: ScanSource;
  commandId: string | null;
  stream: ScanStream;
  /** Events the chunk stands for. */
  count: number;
  /** 'listings': `bytes` holds `listings` MessagePack listings; 'json': `bytes` holds JSON events; 'objects': `chunk`. */
  encoding: JobEncoding;
  bytes: Buffer | null;
  listings: number;
  /** Kept only when not encoded, so the scanner's arrays die young. */
  chunk: ScanChunk | null;
  /** Encoded size (0 for objects): the look-ahead bound counts it. */
  size: number;
}

/**
 * Encodes a chunk for the wire. `listings` is used when the session negotiated it and the chunk has a
 * listing form; else JSON when the sender takes encoded bodies; else the chunk stays as it is.
 */
export function makeJob(
  stream: ScanStream, chunk: ScanChunk, want: JobEncoding,
): ScanJob {
  const base = { source: stream.source, commandId: stream.commandId, stream, count: chunk.count };
  if (want === 'listings' && chunk.listings !== null) {
    clampListingTimes(chunk.listings);
    const bytes = encodeListings(chunk.listings, chunk.packed);
    return { ...base, encoding: 'listings', bytes, listings: chunk.listings.length, chunk: null, size: bytes.length };
  }
  if (want !== 'objects') {
    const bytes = encodeChunk(chunkEvents(chunk));
    return { ...base, encoding: 'json', bytes, listings: 0, chunk: null, size: bytes.length };
  }
  return { ...base, encoding: 'objects', bytes: null, listings: 0, chunk, size: 0 };
}

/** A job's events as objects (the rare paths that need them: splitting after 413, senders without encoding). */
export function jobEvents(j: ScanJob): UpsertEvent[] {
  if (j.chunk !== null) return chunkEvents(j.chunk);
  if (j.encoding === 'listings') return chunkEvents({ listings: decodeListings(j.bytes!), count: j.count });
  return decodeChunks([j.bytes!]) as UpsertEvent[];
}

/** The JSON events bytes of a job (encoded now when it was kept as objects). */
export function jobJson(j: ScanJob): Buffer {
  return j.encoding === 'json' ? j.bytes! : encodeChunk(jobEvents(j));
}

/** Two halves of a job's events, encoded as the job was (a 413 split). */
export function splitJob(j: ScanJob): [ScanJob, ScanJob] {
  const events = jobEvents(j);
  const cut = Math.ceil(events.length / 2);
  const half = (evs: UpsertEvent[]): ScanJob => makeJob(j.stream, { listings: listingsOf(evs), events: evs, count: evs.length }, j.encoding);
  return [half(events.slice(0, cut)), half(events.slice(cut))];
}
