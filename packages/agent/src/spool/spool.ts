// Durable FIFO of undelivered realtime events: JSON-lines segment files under agent-state/<pipe>/spool/.
//
// fsync policy: 'rotate' (default) fsyncs a segment when it is closed (rotation, stop) — appends survive
// an agent crash (page cache) but the tail since the last rotation may be lost on power failure;
// 'always' fsyncs after every append. Delivery is at-least-once: a segment is deleted only when all
// its events were acknowledged, so a crash mid-segment replays that segment (harmless: same order).

import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FileEvent } from '@fustor/protocol';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: 'rotate' | 'always';
}

interface Segment {
  seq: number;
  file: string;
  bytes: number;
  events: number;
  /** Parsed lines, loaded when the segment becomes the head (and mirrored while it is being written). */
  cache: FileEvent[] | null;
}

const SEG_RE = /^seg-(\d{8})\.jsonl$/;

export class Spool {
  readonly #opts: SpoolOptions;
  #segments: Segment[] = [];
  #fd: number | null = null;
  #bytes = 0;
  #events = 0;
  /** Events of the head segment already acknowledged. */
  #headOffset = 0;
  #generation = 0;

  constructor(opts: SpoolOptions) {
    this.#opts = opts;
    mkdirSync(opts.dir, { recursive: true });
    for (const name of readdirSync(opts.dir).sort()) {
      const m = SEG_RE.exec(name);
      if (!m) continue;
      const file = join(opts.dir, name);
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n').filter((l) => l !== '');
      const bytes = statSync(file).size;
      this.#segments.push({ seq: Number(m[1]), file, bytes, events: lines.length, cache: null });
      this.#bytes += bytes;
      this.#events += lines.length;
    }
  }

  get events(): number {
    return this.#events - this.#headOffset;
  }
  get bytes(): number {
    return this.#bytes;
  }
  get generation(): number {
    return this.#generation;
  }
  get maxBytes(): number {
    return this.#opts.maxBytes;
  }

  /** Appends in order; returns false (and writes nothing) when the bound would be exceeded. */
  append(events: readonly FileEvent[]): boolean {
    if (events.length === 0) return true;
    const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
    const size = Buffer.byteLength(text);
    if (this.#bytes + size > this.#opts.maxBytes) return false;
    let tail = this.#segments.at(-1);
    if (!tail || this.#fd === null || tail.bytes >= this.#opts.segmentBytes) {
      this.#rotate();
      tail = this.#segments.at(-1)!;
    }
    writeSync(this.#fd!, text);
    if (this.#opts.fsync === 'always') fsyncSync(this.#fd!);
    tail.bytes += size;
    tail.events += events.length;
    tail.cache?.push(...events);
    this.#bytes += size;
    this.#events += events.length;
    return true;
  }

  /** Up to n events from the head, without removing them. */
  peek(n: number): FileEvent[] {
    const head = this.#segments[0];
    if (!head) return [];
    if (!head.cache) {
      head.cache = readEvents(head.file);
      // A torn last line (crash mid-append) is not an event: keep the counters truthful.
      this.#events -= head.events - head.cache.length;
      head.events = head.cache.length;
    }
    return head.cache.slice(this.#headOffset, this.#headOffset + n);
  }

  /** Removes n acknowledged events from the head; ignored if the spool was dropped since the peek. */
  commit(n: number, generation: number): void {
    if (generation !== this.#generation) return;
    let left = n;
    while (left > 0 && this.#segments.length > 0) {
      const head = this.#segments[0]!;
      const take = Math.min(left, head.events - this.#headOffset);
      this.#headOffset += take;
      left -= take;
      if (this.#headOffset >= head.events) this.#removeHead();
      else break;
    }
  }

  /** Deletes everything (spool overflow); bumps the generation so stale commits are ignored. */
  drop(): number {
    const lost = this.events;
    this.#closeFd(false);
    for (const s of this.#segments) rmSync(s.file, { force: true });
    this.#segments = [];
    this.#bytes = 0;
    this.#events = 0;
    this.#headOffset = 0;
    this.#generation++;
    return lost;
  }

  close(): void {
    this.#closeFd(true);
  }

  #removeHead(): void {
    const head = this.#segments.shift()!;
    if (this.#segments.length === 0) this.#closeFd(false);
    rmSync(head.file, { force: true });
    this.#bytes -= head.bytes;
    this.#events -= head.events;
    this.#headOffset = 0;
  }

  #rotate(): void {
    this.#closeFd(true);
    const seq = (this.#segments.at(-1)?.seq ?? 0) + 1;
    const file = join(this.#opts.dir, `seg-${String(seq).padStart(8, '0')}.jsonl`);
    this.#fd = openSync(file, 'a');
    this.#segments.push({ seq, file, bytes: 0, events: 0, cache: this.#segments.length === 0 ? [] : null });
  }

  #closeFd(sync: boolean): void {
    if (this.#fd === null) return;
    try {
      if (sync) fsyncSync(this.#fd);
    } finally {
      closeSync(this.#fd);
      this.#fd = null;
    }
  }
}

function readEvents(file: string): FileEvent[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: FileEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as FileEvent);
    } catch {
      // A torn last line after a crash: the write never completed, so the event was never acknowledged.
    }
  }
  return out;
}
