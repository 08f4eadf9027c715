// What precedes a pipe's first batch, overlapped (P3 start-up): the session opens while the source starts,
// and the walk starts while Fusion records the phase start — without changing what Fusion sees, or when.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CreateSessionRequest } from '@fustor/protocol';
import type { FsSourceOptions, WatchCoverage } from '@fustor/source-fs';
import { TransportError } from '../src/errors.js';
import type { PhaseName } from '../src/senders/types.js';
import { FakeSender, FakeSource, makeSpec, upsert } from './helpers/fakes.js';
import { usePipes } from './helpers/pipes.js';
import { waitFor } from '@fustor/test-helpers';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A source whose start waits for the test, fails as often as told, and has coverage only once started. */
class GatedSource extends FakeSource {
  gate = deferred();
  failures = 0;
  #up = false;
  override async start(): Promise<void> {
    this.started++;
    await this.gate.promise;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('root not mounted yet');
    }
    this.#up = true;
  }
  /** Closing fails a start still waiting at the gate, as a real source's close ends its start. */
  override async close(): Promise<void> {
    this.closed++;
    this.failures = Number.POSITIVE_INFINITY;
    this.gate.resolve();
  }
  override coverage(): WatchCoverage {
    return { watchedDirs: this.#up ? 1 : 0, knownDirs: this.#up ? 1 : 0, canRealtime: this.#up };
  }
}

/** A sender that records session requests and can hold or fail the phase start. */
class HoldingSender extends FakeSender {
  opened: CreateSessionRequest[] = [];
  phaseGate: ReturnType<typeof deferred> | null = null;
  phaseFailures = 0;
  openGate: ReturnType<typeof deferred> | null = null;
  /** Closed as undici's dispatcher is by close(): later requests are refused. */
  transportClosed = false;
  override async closeSession(sid: string): Promise<void> {
    if (this.transportClosed) throw new TransportError('http://fake', new Error('the client is closed'));
    return super.closeSession(sid);
  }
  override async close(): Promise<void> {
    this.transportClosed = true;
  }
  override async openSession(req: CreateSessionRequest) {
    this.opened.push(req);
    await this.openGate?.promise;
    return super.openSession(req);
  }
  override async phase(sid: string, phase: PhaseName, edge: 'start' | 'end', complete = true): Promise<void> {
    if (edge === 'start') {
      this.log.push(`${phase}/start requested`);
      await this.phaseGate?.promise;
      if (this.phaseFailures > 0) {
        this.phaseFailures--;
        throw new TransportError('http://fake', new Error('ECONNRESET'));
      }
    }
    return super.phase(sid, phase, edge, complete);
  }
}

describe('pipe start-up overlap', () => {
  const { newPipe } = usePipes();

  function build(sender: HoldingSender, spec = makeSpec()) {
    let source!: GatedSource;
    const pipe = newPipe(spec, { createSource: (o: FsSourceOptions) => (source = new GatedSource(o)), createSender: () => sender });
    return { pipe, source };
  }

  it('the session opens while the source starts; the snapshot waits for the source; the first heartbeat goes at once with the coverage', async () => {
    const sender = new HoldingSender();
    sender.heartbeatIntervalSec = 600; // only the at-once beat can arrive during the test
    const { pipe, source } = build(sender);
    pipe.start();
    await waitFor(() => sender.sessions.length === 1 && source.started === 1, 'a session opened while the source starts');
    expect(sender.opened[0]!.can_realtime).toBe(false);
    expect(sender.log).toEqual(['open s1 p1']);
    expect(source.snapshots).toBe(0);
    source.gate.resolve();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'the snapshot');
    await waitFor(() => sender.heartbeats === 1, 'the first heartbeat, at once');
    expect(sender.heartbeatBodies[0]!.can_realtime).toBe(true);
    expect(sender.sessions).toEqual(['s1']);
    expect(sender.paths('snapshot')).toEqual(['/', '/a', '/b']);
  });

  it('a session that waited through the source\'s retries is closed, and a fresh one runs the pipe', async () => {
    const sender = new HoldingSender();
    const { pipe, source } = build(sender);
    source.failures = 2;
    source.gate.resolve();
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'the snapshot');
    expect(source.started).toBe(3);
    expect(sender.closedSessions).toEqual(['s1']);
    expect(sender.batches.every((b) => b.session === 's2')).toBe(true);
    expect(sender.opened[1]!.can_realtime).toBe(true);
  });

  it('the walk starts while the phase start is on the wire; no batch goes before Fusion acknowledges it', async () => {
    const sender = new HoldingSender();
    sender.phaseGate = deferred();
    const { pipe, source } = build(sender);
    let walking = false;
    source.snapshotImpl = async function* () {
      walking = true;
      yield [upsert('/', { is_dir: true }), upsert('/x')];
    };
    source.gate.resolve();
    pipe.start();
    await waitFor(() => walking && sender.count('snapshot/start requested') === 1, 'the walk, during the phase start');
    expect(sender.batches.filter((b) => b.message_source === 'snapshot')).toEqual([]);
    sender.phaseGate.resolve();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'the snapshot');
    const order = sender.log.filter((l) => l.startsWith('snapshot'));
    expect(order).toEqual(['snapshot/start requested', 'snapshot/start', 'snapshot/end true']);
    expect(sender.paths('snapshot')).toEqual(['/', '/x']);
  });

  it('a failed phase start closes the walk it began, sends nothing of it, and the snapshot is retried', async () => {
    const sender = new HoldingSender();
    sender.phaseFailures = 1;
    const { pipe, source } = build(sender);
    let walks = 0;
    let closed = 0;
    source.snapshotImpl = async function* () {
      walks++;
      try {
        yield [upsert('/', { is_dir: true }), upsert(`/walk-${walks}`)];
        yield [upsert(`/walk-${walks}-more`)];
      } finally {
        closed++;
      }
    };
    source.gate.resolve();
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'the retried snapshot');
    expect(walks).toBe(2);
    expect(closed).toBe(2);
    expect(sender.paths('snapshot')).toEqual(['/', '/walk-2', '/walk-2-more']);
  });

  it('regression: a stop while the source starts closes the session opened meanwhile, before the pipe has stopped', async () => {
    const sender = new HoldingSender();
    sender.openGate = deferred();
    const { pipe } = build(sender);
    pipe.start();
    await waitFor(() => sender.opened.length === 1, 'the early open on the wire');
    const stopping = pipe.stop(200);
    // Fusion answers the open a little later, while the pipe stops: its session must still be closed,
    // before the pipe closes its HTTP client (which refuses requests after).
    const answer = setTimeout(() => sender.openGate!.resolve(), 20);
    await stopping;
    clearTimeout(answer);
    expect(sender.sessions).toEqual(['s1']);
    expect(sender.closedSessions).toEqual(['s1']);
  });

  it('regression: an audit\'s walk waits for its phase start (its audit cache must not record directories of a chunk never sent)', async () => {
    const sender = new HoldingSender();
    const { pipe, source } = build(sender, makeSpec({ pipe: { audit_interval_sec: 0.05 } }));
    let auditWalkedEarly = false;
    source.auditImpl = async function* () {
      if (sender.count('audit/start') === 0) auditWalkedEarly = true;
      yield [upsert('/', { is_dir: true, audit_skipped: true })];
    };
    source.gate.resolve();
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'the snapshot');
    await waitFor(() => source.audits >= 1 && sender.count('audit/end true') >= 1, 'an audit');
    expect(auditWalkedEarly).toBe(false);
  });
});
