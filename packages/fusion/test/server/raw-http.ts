// A raw HTTP/1.1 client over one TCP socket: hostile requests (bodies that keep coming, huge headers, silence) that fetch cannot make.

import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Socket error seen while sending or reading (e.g. ECONNRESET), if any. */
  error: string | null;
}

/** Parses the first complete response in `text`, or null when it is not complete yet. */
export function parseResponse(text: string): Omit<RawAnswer, 'error'> | null {
  const head = text.indexOf('\r\n\r\n');
  if (head < 0) return null;
  const lines = text.slice(0, head).split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const len = Number(headers['content-length'] ?? 0);
  const body = text.slice(head + 4);
  if (Buffer.byteLength(body) < len) return null;
  return { status, headers, body: body.slice(0, len) };
}

export interface SendOptions {
  /** Request line and headers, without the final blank line. */
  head: string;
  /** Body bytes to send after the head, all of them whatever the server answers meanwhile. */
  body?: Buffer | null;
  /** Chunked transfer encoding: `body` is sent in chunks of this size. */
  chunked?: boolean;
  /** Reads nothing until the whole body is sent, as simple clients do (e.g. Python requests). */
  readAfterSend?: boolean;
  deadlineMs?: number;
}

/**
 * Sends `head` then the whole `body` (respecting backpressure, not stopping when an answer arrives),
 * half-closes, and resolves with the answer once the server closes or the answer is complete.
 */
export function rawRequest(port: number, opts: SendOptions): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(port, '127.0.0.1');
    let text = '';
    let error: string | null = null;
    let settled = false;
    const deadline = setTimeout(() => done(new Error(`no complete answer within ${opts.deadlineMs ?? 20_000} ms; got ${JSON.stringify(text.slice(0, 200))}`)), opts.deadlineMs ?? 20_000);
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      sock.destroy();
      if (err) return reject(err);
      const parsed = parseResponse(text);
      if (!parsed) return reject(new Error(`incomplete answer (${error ?? 'closed'}): ${JSON.stringify(text.slice(0, 200))}`));
      resolve({ ...parsed, error });
    };
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => (text += d));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    sock.on('close', () => done());
    if (opts.readAfterSend) sock.pause();
    sock.on('connect', async () => {
      sock.write(opts.head + '\r\n\r\n');
      const body = opts.body;
      if (body) {
        const size = 65_536;
        for (let at = 0; at < body.length && !sock.destroyed; at += size) {
          const part = body.subarray(at, at + size);
          const frame = opts.chunked ? Buffer.concat([Buffer.from(part.length.toString(16) + '\r\n'), part, Buffer.from('\r\n')]) : part;
          if (!sock.write(frame)) await new Promise((r) => sock.once('drain', r));
        }
        if (opts.chunked && !sock.destroyed) sock.write('0\r\n\r\n');
      }
      sock.resume();
      // a client done sending waits for the answer; the server may keep the connection alive
      const poll = setInterval(() => {
        if (parseResponse(text)) {
          clearInterval(poll);
          done();
        }
      }, 5);
      sock.once('close', () => clearInterval(poll));
    });
  });
}
