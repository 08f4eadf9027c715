// A minimal SSE client for tests: parses frames and comments from a real HTTP stream, waits on them with deadlines.

import { request, type IncomingMessage } from 'node:http';
import { notYet, Signal, waitFor } from '@fustor/test-helpers';

export interface SseFrame {
  id?: string;
  event: string;
  data: string;
}

export class SseReader {
  readonly frames: SseFrame[] = [];
  readonly comments: string[] = [];
  status = 0;
  ended = false;
  #res: IncomingMessage | null = null;
  #buf = '';
  readonly #changed = new Signal();
  #destroy: () => void = () => {};

  /** Opens the stream; resolves once the response headers arrived. */
  static open(base: string, path: string, key: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const r = new SseReader();
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, base), { headers: { accept: 'text/event-stream', 'x-api-key': key, ...headers } }, (res) => {
        r.#res = res;
        r.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => r.#feed(chunk));
        res.on('end', () => r.#end());
        res.on('close', () => r.#end());
        resolve(r);
      });
      r.#destroy = () => req.destroy();
      req.on('error', (e) => (r.#res ? r.#end() : reject(e)));
      req.end();
    });
  }

  /** The body so far (for non-stream answers such as a 409 envelope). */
  get raw(): string {
    return this.#buf;
  }

  #feed(chunk: string): void {
    this.#buf += chunk;
    for (;;) {
      const at = this.#buf.indexOf('\n\n');
      if (at < 0) break;
      const block = this.#buf.slice(0, at);
      this.#buf = this.#buf.slice(at + 2);
      const f: SseFrame = { event: 'message', data: '' };
      let isFrame = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('id: ')) (f.id = line.slice(4)), (isFrame = true);
        else if (line.startsWith('event: ')) (f.event = line.slice(7)), (isFrame = true);
        else if (line.startsWith('data: ')) (f.data += line.slice(6)), (isFrame = true);
      }
      if (isFrame) this.frames.push(f);
    }
    this.#changed.fire();
  }

  #end(): void {
    this.ended = true;
    this.#changed.fire();
  }


  /** Waits until `check` holds (re-checked on every chunk) or the deadline passes. */
  until(check: (r: SseReader) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return waitFor(() => check(this) || notYet(`frames: ${this.frames.length}, ended: ${this.ended}`), {
      what,
      timeoutMs,
      wake: this.#changed.wake,
    }).then(() => undefined);
  }


  changes(): Array<{ cursor: number; op: string; path: string }> {
    return this.frames.filter((f) => f.event === 'change' || f.event === 'reset').map((f) => JSON.parse(f.data));
  }

  pause(): void {
    this.#res?.pause();
  }

  resume(): void {
    this.#res?.resume();
  }

  close(): void {
    this.#destroy();
  }
}
