// Durable FIFO of undelivered realtime events: JSON-lines segment files under agent-state/<pipe>/spool/.
//
// fsync policy: 'rotate' (default) fsyncs a segment when it is closed (rotation, stop) — appends survive
// an agent crash (page cache) but the tail since the last rotation may be lost on power failure;
// 'always' fsyncs after every append. Delivery is at-least-once: a segment is deleted only when all
// its events were acknowledged, so a crash mid-segment replays that segment (harmless: same order).
//
// A failed write (disk full, I/O error) leaves the spool as it was before the append — the torn bytes
// are truncated, or the segment is abandoned for a fresh one — and throws SpoolWriteError; the next
// append simply tries again, so the spool works again as soon as there is space.

import { join } from 'node:path';
import type { FileEvent } from '@fustor/protocol';
import { SpoolWriteError } from '../errors.js';
import { errnoOf, nodeSpoolFs, type SpoolFs } from './spool-fs.js';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: 'rotate' | 'always';
  /** File calls (tests inject failures). */
  fs?: SpoolFs;
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
  readonly #fs: SpoolFs;
  #segments: Segment[] = [];
  #fd: number | null = null;
  #bytes = 0;
  #events = 0;
  /** Events of the head segment already acknowledged. */
  #headOffset = 0;
  #generation = 0;
  /** False while the directory could not be created (full disk at start): retried by the next append. */
  #dirReady = false;
  #lastSeq = 0;

  constructor(opts: SpoolOptions) {
    this.#opts = opts;
    this.#fs = opts.fs ?? nodeSpoolFs;
    try {
      this.#fs.mkdirSync(opts.dir, { recursive: true });
      this.#dirReady = true;
    } catch {
      // A full disk must not keep the pipe from starting: the spool stays empty until a write works.
      return;
    }
    for (const name of this.#fs.readdirSync(opts.dir).sort()) {
      const m = SEG_RE.exec(name);
      if (!m) continue;
      const file = join(opts.dir, name);
      const text = this.#fs.readFileSync(file, 'utf8');
      const lines = text.split('\n').filter((l) => l !== '');
      const bytes = this.#fs.statSync(file).size;
      this.#segments.push({ seq: Number(m[1]), file, bytes, events: lines.length, cache: null });
      this.#bytes += bytes;
      this.#events += lines.length;
      this.#lastSeq = Math.max(this.#lastSeq, Number(m[1]));
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
  get dir(): string {
    return this.#opts.dir;
  }

  /**
   * Appends in order; returns false (and writes nothing) when the bound would be exceeded. Throws
   * SpoolWriteError when the file system refuses the write; nothing of `events` is then kept.
   */
  append(events: readonly FileEvent[]): boolean {
    if (events.length === 0) return true;
    const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
    const size = Buffer.byteLength(text);
    if (this.#bytes + size > this.#opts.maxBytes) return false;
    let tail: Segment | undefined;
    try {
      if (!this.#dirReady) {
        this.#fs.mkdirSync(this.#opts.dir, { recursive: true });
        this.#dirReady = true;
      }
      tail = this.#segments.at(-1);
      if (!tail || this.#fd === null || tail.bytes >= this.#opts.segmentBytes) tail = this.#rotate();
      this.#fs.writeSync(this.#fd!, text);
      if (this.#opts.fsync === 'always') this.#fs.fsyncSync(this.#fd!);
    } catch (err) {
      this.#undoTail(tail);
      throw new SpoolWriteError(this.#opts.dir, errnoOf(err), err);
    }
    tail.bytes += size;
    tail.events += events.length;
    tail.cache?.push(...events);
    this.#bytes += size;
    this.#events += events.length;
    return true;
  }

  /** True when a small write works in the spool directory now (used to notice that space is back). */
  probeWritable(): boolean {
    const file = join(this.#opts.dir, '.probe');
    try {
      if (!this.#dirReady) {
        this.#fs.mkdirSync(this.#opts.dir, { recursive: true });
        this.#dirReady = true;
      }
      const fd = this.#fs.openSync(file, 'a');
      try {
        this.#fs.writeSync(fd, '{}\n');
      } finally {
        this.#fs.closeSync(fd);
      }
      return true;
    } catch {
      return false;
    } finally {
      this.#remove(file);
    }
  }

  /** Up to n events from the head, without removing them. */
  peek(n: number): FileEvent[] {
    // An empty head (a segment abandoned by a failed write) must not hide the segments behind it.
    while (this.#segments.length > 1 && this.#segments[0]!.events - this.#headOffset <= 0 && this.#segments[0]!.cache !== null) {
      this.#removeHead();
    }
    const head = this.#segments[0];
    if (!head) return [];
    if (!head.cache) {
      head.cache = readEvents(this.#fs, head.file);
      // A torn last line (crash mid-append) is not an event: keep the counters truthful.
      this.#events -= head.events - head.cache.length;
      head.events = head.cache.length;
      if (head.events - this.#headOffset <= 0 && this.#segments.length > 1) return this.peek(n);
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

  /** Deletes everything (overflow, failed write); bumps the generation so stale commits are ignored. */
  drop(): number {
    const lost = this.events;
    this.#closeFd(false);
    for (const s of this.#segments) this.#remove(s.file);
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
    this.#remove(head.file);
    this.#bytes -= head.bytes;
    this.#events -= head.events;
    this.#headOffset = 0;
  }

  #rotate(): Segment {
    this.#closeFd(true);
    const seq = Math.max(this.#lastSeq, this.#segments.at(-1)?.seq ?? 0) + 1;
    this.#lastSeq = seq;
    const file = join(this.#opts.dir, `seg-${String(seq).padStart(8, '0')}.jsonl`);
    this.#fd = this.#fs.openSync(file, 'a');
    const seg: Segment = { seq, file, bytes: 0, events: 0, cache: this.#segments.length === 0 ? [] : null };
    this.#segments.push(seg);
    return seg;
  }

  /** After a failed write: cut the torn bytes off the tail, or give the segment up and start a fresh one. */
  #undoTail(tail: Segment | undefined): void {
    if (!tail || this.#fd === null) return;
    try {
      this.#fs.ftruncateSync(this.#fd, tail.bytes);
    } catch {
      // Left torn: readEvents skips an unparsable line, and nothing more is appended to this segment.
    }
    this.#closeFd(false);
    if (tail.events === 0 && this.#segments.at(-1) === tail) {
      this.#segments.pop();
      this.#bytes -= tail.bytes;
      this.#remove(tail.file);
    }
  }

  #closeFd(sync: boolean): void {
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    try {
      if (sync) this.#fs.fsyncSync(fd);
    } catch {
      // fsync failing (full disk, EIO) must not keep the file open; the data stays in the page cache
    } finally {
      try {
        this.#fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
  }

  #remove(file: string): void {
    try {
      this.#fs.rmSync(file, { force: true });
    } catch {
      // a file that cannot be removed is replayed at the next start (at-least-once)
    }
  }
}

function readEvents(fs: SpoolFs, file: string): FileEvent[] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
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
