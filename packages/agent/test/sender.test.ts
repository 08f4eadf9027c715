// Fusion sender + session outbox against a fake Fusion HTTP server (express, port 0).

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionExpiredError, TransportError } from '../src/errors.js';
import { RealtimeQueue } from '../src/spool/realtime-queue.js';
import { SessionOutbox } from '../src/senders/outbox.js';
import { FusionSender } from '../src/senders/fusion-sender.js';
import { Spool } from '../src/spool/spool.js';
import { upsert } from './helpers/fakes.js';
import { tempTree, waitFor, type TempTree } from '@fustor/test-helpers';

interface Received {
  seq: number;
  source: string;
  paths: string[];
  key: string | undefined;
}

/** Minimal Fusion ingest endpoint with scriptable misbehaviour per request. */
class FakeFusion {
  server!: Server;
  received: Received[] = [];
  applied: Received[] = [];
  lastSeq = -1;
  /** Returns true when it handled (answered or destroyed) the request itself. */
  script: ((req: express.Request, res: express.Response, n: number) => boolean | Promise<boolean>) | null = null;
  requests = 0;

  async start(): Promise<string> {
    const app = express();
    app.use(express.json({ limit: '10mb' }));
    app.post('/api/v1/pipe/sessions/:sid/events', async (req, res) => {
      const n = ++this.requests;
      const body = req.body as { batch_seq: number; message_source: string; events: Array<{ path: string }> };
      this.received.push({ seq: body.batch_seq, source: body.message_source, paths: body.events.map((e) => e.path), key: req.get('x-api-key') });
      if (this.script && (await this.script(req, res, n))) return;
      if (req.params.sid === 'gone') return res.status(404).json({ code: 40402, message: 'session unknown or expired' });
      if (body.batch_seq <= this.lastSeq) return res.json({ code: 0, message: 'success', data: { accepted: 0, ignored: 0, batch_seq: body.batch_seq, duplicate: true } });
      if (body.batch_seq > this.lastSeq + 1) {
        return res.status(409).json({ code: 40901, message: 'batch_seq skips ahead', details: { expected_seq: this.lastSeq + 1 } });
      }
      this.lastSeq = body.batch_seq;
      this.applied.push(this.received.at(-1)!);
      res.json({ code: 0, message: 'success', data: { accepted: body.events.length, ignored: 0, batch_seq: body.batch_seq, duplicate: false } });
    });
    this.server = app.listen(0, '127.0.0.1');
    await new Promise((r) => this.server.once('listening', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

describe('FusionSender + SessionOutbox over HTTP', () => {
  let fusion: FakeFusion;
  let url: string;
  let tmp: TempTree;
  let ctl: AbortController;
  let sender: FusionSender;
  let waits: number[];

  beforeEach(async () => {
    fusion = new FakeFusion();
    url = await fusion.start();
    tmp = tempTree();
    ctl = new AbortController();
    waits = [];
    sender = new FusionSender({ endpoint: url, credential: 'fk_test', timeoutMs: 5000, onRateLimited: (ms) => waits.push(ms) });
  });
  afterEach(async () => {
    ctl.abort();
    await sender.close();
    await fusion.stop();
    tmp.cleanup();
  });

  function outbox(opts: { sessionId?: string; batchMax?: number; scanBatchMax?: number; startSeq?: number } = {}) {
    const spool = new Spool({ dir: tmp.dir, maxBytes: 1 << 20, segmentBytes: 1 << 16, fsync: 'rotate' });
    const queue = new RealtimeQueue({ spool, onLoss: () => undefined });
    const sent: Array<{ source: string; n: number; duplicate: boolean }> = [];
    const ob = new SessionOutbox({
      sender,
      sessionId: opts.sessionId ?? 's1',
      queue,
      batchMax: opts.batchMax ?? 1000,
      scanBatchMax: opts.scanBatchMax,
      startSeq: opts.startSeq,
      backoff: { baseMs: 5, capMs: 20 },
      hooks: {
        online: () => undefined,
        sent: (source, n, r) => sent.push({ source, n, duplicate: r.duplicate }),
        rejected: () => undefined,
        error: () => undefined,
      },
    });
    const running = ob.run(ctl.signal);
    return { ob, queue, sent, running };
  }

  it('sends an idle event at once, and coalesces up to batch_max_events while a batch is on the wire', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    fusion.script = async (_req, _res, n) => {
      if (n === 1) await gate;
      return false;
    };
    const { queue } = outbox({ batchMax: 100 });
    queue.push([upsert('/first')], true);
    await waitFor(() => fusion.received.length === 1, 'first event sent alone');
    for (let i = 0; i < 250; i++) queue.push([upsert(`/e${i}`)], true);
    release();
    await waitFor(() => fusion.applied.flatMap((r) => r.paths).length === 251, 'all delivered');
    expect(fusion.applied.map((r) => r.paths.length)).toEqual([1, 100, 100, 50]);
    expect(fusion.applied.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    expect(fusion.applied.flatMap((r) => r.paths)).toEqual(['/first', ...Array.from({ length: 250 }, (_, i) => `/e${i}`)]);
    expect(fusion.received[0]!.key).toBe('fk_test');
  });

  it('429 waits for Retry-After and then delivers the same batch', async () => {
    fusion.script = (_req, res, n) => {
      if (n !== 1) return false;
      res.status(429).set('retry-after', '1').json({ code: 42901, message: 'rate limit exceeded' });
      return true;
    };
    const { queue } = outbox();
    queue.push([upsert('/limited')], true);
    await waitFor(() => fusion.applied.length === 1, 'delivered after 429');
    expect(waits).toEqual([1000]);
    expect(fusion.received.map((r) => r.seq)).toEqual([0, 0]);
  });

  it('retries a batch whose answer was lost with the same batch_seq; the duplicate answer is accepted', async () => {
    fusion.script = (req, res, n) => {
      if (n !== 1) return false;
      // Apply, then lose the answer: the sender cannot tell, so it must resend seq 0.
      fusion.lastSeq = 0;
      fusion.applied.push(fusion.received.at(-1)!);
      req.socket.destroy();
      return true;
    };
    const { queue, sent } = outbox();
    queue.push([upsert('/once')], true);
    await waitFor(() => sent.length === 1, 'acknowledged');
    queue.push([upsert('/next')], true);
    await waitFor(() => sent.length === 2, 'next acknowledged');
    expect(fusion.received.map((r) => r.seq)).toEqual([0, 0, 1]);
    expect(sent[0]!.duplicate).toBe(true);
    expect(fusion.applied.map((r) => r.paths[0])).toEqual(['/once', '/next']);
  });

  it('40901 with expected_seq resyncs the sequence and resends', async () => {
    fusion.lastSeq = 1; // Fusion applied 0..1; the sender believes it is further ahead
    const { queue, ob } = outbox({ startSeq: 7 });
    queue.push([upsert('/resync')], true);
    await waitFor(() => ob.nextSeq === 3, 'acknowledged after resync');
    expect(fusion.received.map((r) => r.seq)).toEqual([7, 2]);
    expect(fusion.applied.map((r) => r.paths)).toEqual([['/resync']]);
  });

  it('scan batches are streamed in order, interleaved with realtime, one batch on the wire', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    fusion.script = async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return false;
    };
    const { ob, queue } = outbox();
    const stream = ob.stream('snapshot');
    for (let i = 0; i < 10; i++) {
      await stream.write([upsert(`/s${i}`)]);
      if (i % 3 === 0) queue.push([upsert(`/r${i}`)], true);
    }
    expect(await stream.finish()).toEqual({ complete: true, error: null });
    // Realtime pushed while scan chunks are queued may coalesce: count events, not batches.
    await waitFor(() => fusion.applied.filter((r) => r.source === 'realtime').flatMap((r) => r.paths).length === 4, 'realtime delivered');
    expect(fusion.applied.filter((r) => r.source === 'snapshot').flatMap((r) => r.paths)).toEqual(Array.from({ length: 10 }, (_, i) => `/s${i}`));
    expect(fusion.applied.map((r) => r.seq)).toEqual(fusion.applied.map((_, i) => i));
    expect(maxInFlight).toBe(1);
  });

  it('scan chunks queued while a batch is on the wire go out merged up to scan_batch_max_events, with back-pressure', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    fusion.script = async (_req, _res, n) => {
      if (n === 1) await gate;
      return false;
    };
    const chunk = (c: number) => Array.from({ length: 10 }, (_, i) => upsert(`/c${c}/f${i}`));
    const { ob } = outbox({ scanBatchMax: 25 });
    const stream = ob.stream('snapshot');
    await stream.write(chunk(0));
    await waitFor(() => fusion.received.length === 1, 'first chunk on the wire');
    for (let c = 1; c <= 4; c++) await stream.write(chunk(c));
    // 10 in flight + 40 queued = the look-ahead (2 × 25): the next write waits for the wire.
    let fifthWritten = false;
    const fifth = stream.write(chunk(5)).then(() => (fifthWritten = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(fifthWritten).toBe(false);
    release();
    await fifth;
    expect(await stream.finish()).toEqual({ complete: true, error: null });
    expect(fusion.applied.map((r) => r.paths.length)).toEqual([10, 20, 20, 10]);
    expect(fusion.applied.flatMap((r) => r.paths)).toEqual([0, 1, 2, 3, 4, 5].flatMap(chunk).map((e) => e.path));
    expect(fusion.applied.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
  });

  it('a rejected merged scan batch is resent chunk by chunk, so only the chunk with the bad event is dropped', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    fusion.script = async (req, res, n) => {
      if (n === 1) await gate;
      if (!(req.body as { events: Array<{ path: string }> }).events.some((e) => e.path === '/bad')) return false;
      res.status(400).json({ code: 40001, message: 'events[3].path: invalid' });
      return true;
    };
    const chunk = (c: number) => Array.from({ length: 5 }, (_, i) => upsert(c === 2 && i === 3 ? '/bad' : `/k${c}/f${i}`));
    const { ob } = outbox({ scanBatchMax: 100 });
    const stream = ob.stream('snapshot');
    await stream.write(chunk(0));
    await waitFor(() => fusion.received.length === 1, 'first chunk on the wire');
    for (let c = 1; c <= 3; c++) await stream.write(chunk(c));
    release();
    const outcome = await stream.finish();
    expect(outcome.complete).toBe(false);
    expect(outcome.error).toContain('invalid');
    expect(fusion.applied.flatMap((r) => r.paths)).toEqual([0, 1, 3].flatMap(chunk).map((e) => e.path));
    expect(fusion.applied.map((r) => r.seq)).toEqual([0, 1, 2]);
  });

  it('413 on a merged scan batch resends its chunks in smaller batches, in order', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    fusion.script = async (req, res, n) => {
      if (n === 1) await gate;
      if ((req.body as { events: unknown[] }).events.length <= 15) return false;
      res.status(413).json({ code: 41301, message: 'body over server.max_body_mb' });
      return true;
    };
    const chunk = (c: number) => Array.from({ length: 10 }, (_, i) => upsert(`/m${c}/f${i}`));
    const { ob } = outbox({ scanBatchMax: 40 });
    const stream = ob.stream('audit');
    await stream.write(chunk(0));
    await waitFor(() => fusion.received.length === 1, 'first chunk on the wire');
    for (let c = 1; c <= 4; c++) await stream.write(chunk(c));
    release();
    expect(await stream.finish()).toEqual({ complete: true, error: null });
    expect(fusion.applied.flatMap((r) => r.paths)).toEqual([0, 1, 2, 3, 4].flatMap(chunk).map((e) => e.path));
    expect(fusion.applied.every((r) => r.paths.length <= 15)).toBe(true);
    expect(fusion.applied.map((r) => r.seq)).toEqual(fusion.applied.map((_, i) => i));
  });

  it('413 (body too large) splits the batch instead of dropping it, keeping order and numbering', async () => {
    fusion.script = (req, res) => {
      if ((req.body as { events: unknown[] }).events.length <= 2) return false;
      res.status(413).json({ code: 41301, message: 'body over server.max_body_mb' });
      return true;
    };
    const { ob, queue } = outbox();
    for (let i = 0; i < 5; i++) queue.push([upsert(`/big${i}`)], true);
    const stream = ob.stream('audit');
    await stream.write([upsert('/a0'), upsert('/a1'), upsert('/a2'), upsert('/a3'), upsert('/a4')]);
    expect(await stream.finish()).toEqual({ complete: true, error: null });
    await waitFor(() => fusion.applied.filter((r) => r.source === 'realtime').flatMap((r) => r.paths).length === 5, 'realtime delivered');
    expect(fusion.applied.filter((r) => r.source === 'realtime').flatMap((r) => r.paths)).toEqual(['/big0', '/big1', '/big2', '/big3', '/big4']);
    expect(fusion.applied.filter((r) => r.source === 'audit').flatMap((r) => r.paths)).toEqual(['/a0', '/a1', '/a2', '/a3', '/a4']);
    expect(fusion.applied.every((r) => r.paths.length <= 2)).toBe(true);
    expect(fusion.applied.map((r) => r.seq)).toEqual(fusion.applied.map((_, i) => i));
  });

  it('40402 ends the outbox with SessionExpiredError and keeps the realtime events queued', async () => {
    const { queue, running } = outbox({ sessionId: 'gone' });
    queue.push([upsert('/keep')], true);
    await expect(running).rejects.toBeInstanceOf(SessionExpiredError);
    expect(queue.depth).toBe(1);
  });

  it('an unreachable Fusion is a TransportError', async () => {
    await fusion.stop();
    const s = new FusionSender({ endpoint: url, credential: 'k', timeoutMs: 1000 });
    await expect(s.heartbeat('x', {})).rejects.toBeInstanceOf(TransportError);
    await s.close();
    fusion = new FakeFusion();
    url = await fusion.start();
  });
});
