// Pipe state machine against a fake Fusion client and a scripted source (no network, real timers, short intervals).

import { describe, expect, it } from 'vitest';
import type { FsSourceOptions } from '@fustor/source-fs';
import { FusionError } from '../src/errors.js';
import type { BackoffOptions } from '../src/common/backoff.js';
import type { PipeDeps } from '../src/pipes/pipe.js';
import { nodeSpoolFs, type SpoolFs } from '../src/spool/spool-fs.js';
import { FakeSender, FakeSource, makeSpec, upsert } from './helpers/fakes.js';
import { waitFor } from '@fustor/test-helpers';
import { FAST, usePipes } from './helpers/pipes.js';

describe('Pipe', () => {
  const { newPipe } = usePipes();

  function build(spec = makeSpec(), sender = new FakeSender(), backoff: BackoffOptions = FAST, more: Partial<PipeDeps> = {}) {
    let source!: FakeSource;
    const pipe = newPipe(spec, { createSource: (o: FsSourceOptions) => (source = new FakeSource(o)), createSender: () => sender, backoff, ...more });
    return { pipe, sender, source };
  }

  it('leader: snapshots once per session with start, batches in batch_seq order, and end complete', async () => {
    const { pipe, sender, source } = build();
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot end');
    expect(sender.log.filter((l) => l.startsWith('snapshot'))).toEqual(['snapshot/start', 'snapshot/end true']);
    expect(sender.paths('snapshot')).toEqual(['/', '/a', '/b']);
    expect(sender.batches.map((b) => b.batch_seq)).toEqual([0, 1]);
    await waitFor(() => sender.heartbeats >= 3, 'heartbeats');
    expect(source.snapshots).toBe(1);
    expect(pipe.state).toBe('leader');
  });

  it('realtime events produced while a snapshot runs still flow, interleaved in batch_seq order', async () => {
    const { pipe, sender, source } = build();
    source.snapshotImpl = async function* () {
      yield [upsert('/', { is_dir: true })];
      source.emit([upsert('/rt-during-snapshot')]);
      // The snapshot does not go on until the realtime event was delivered: it must not wait for the scan.
      await waitFor(() => sender.paths('realtime').includes('/rt-during-snapshot'), 'realtime during snapshot');
      yield [upsert('/s2')];
    };
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot end');
    const order = sender.batches.map((b) => b.events[0]!.path);
    expect(order.indexOf('/rt-during-snapshot')).toBeLessThan(order.indexOf('/s2'));
    expect(sender.batches.map((b) => b.batch_seq)).toEqual([0, 1, 2]);
  });

  it('heartbeats report phase and stats (events sent per source, spool, errors)', async () => {
    const { pipe, sender, source } = build();
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot');
    source.emit([upsert('/hb')]);
    await waitFor(() => sender.paths('realtime').includes('/hb'), 'realtime');
    const n = sender.heartbeatBodies.length;
    await waitFor(() => sender.heartbeatBodies.length > n, 'next heartbeat');
    const hb = sender.heartbeatBodies.at(-1)!;
    expect(hb.can_realtime).toBe(true);
    expect(hb.phase).toBe('realtime');
    expect(hb.stats).toMatchObject({
      state: 'leader',
      events_sent: { realtime: 1, snapshot: 3, audit: 0, on_demand: 0 },
      spool_events: 0,
      spool_overflows: 0,
      resnapshot_pending: false,
      errors_total: 0,
    });
  });

  it('follower → leader (learned from heartbeat) triggers exactly one snapshot and clears the audit cache', async () => {
    const sender = new FakeSender();
    sender.role = 'follower';
    const { pipe, source } = build(makeSpec(), sender);
    pipe.start();
    await waitFor(() => pipe.state === 'follower' && sender.heartbeats >= 2, 'follower heartbeating');
    expect(source.snapshots).toBe(0);
    const clearsBefore = source.clears;
    sender.role = 'leader';
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot after promotion');
    const beats = sender.heartbeats;
    await waitFor(() => sender.heartbeats >= beats + 3, 'more heartbeats');
    expect(source.snapshots).toBe(1);
    expect(source.clears).toBeGreaterThan(clearsBefore);
    expect(pipe.state).toBe('leader');
  });

  it('leader → follower cancels a running audit and keeps realtime flowing', async () => {
    const spec = makeSpec({ pipe: { audit_interval_sec: 0.02 } });
    const { pipe, sender, source } = build(spec);
    let release: () => void = () => undefined;
    source.auditImpl = async function* (opts) {
      yield [upsert('/', { is_dir: true, audit_skipped: false })];
      await new Promise<void>((resolve) => {
        release = resolve;
        opts?.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      if (opts?.signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      yield [upsert('/late')];
    };
    pipe.start();
    await waitFor(() => source.audits === 1 && sender.count('audit/start') === 1, 'audit running');
    sender.role = 'follower';
    await waitFor(() => source.auditsAborted === 1, 'audit aborted on demotion');
    release();
    expect(pipe.state).toBe('follower');
    source.emit([upsert('/rt1')]);
    await waitFor(() => sender.paths('realtime').includes('/rt1'), 'realtime as follower');
    expect(sender.paths('audit')).not.toContain('/late');
  });

  it('regression: an expired session (40402) opens a new session at once, without backoff', async () => {
    // Every backoff is a minute here: had the pipe backed off before reopening, the wait below would time out.
    const { pipe, sender } = build(makeSpec(), new FakeSender(), { baseMs: 60_000, capMs: 60_000, jitter: 0 });
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'first snapshot');
    sender.expired.add('s1');
    await waitFor(() => sender.count('snapshot/end true') === 2, 'a snapshot in a second session');
    expect(sender.log).toEqual(['open s1 p1', 'snapshot/start', 'snapshot/end true', 'open s2 p1', 'snapshot/start', 'snapshot/end true']);
    expect(pipe.status().recent_errors.filter((e) => e.context === 'opening session')).toEqual([]);
    expect(sender.batches.filter((b) => b.session === 's2').map((b) => b.batch_seq)).toEqual([0, 1]);
  });

  it('a session that expires mid-snapshot does not hang the pipe; the new session snapshots', async () => {
    const { pipe, sender, source } = build();
    source.snapshotImpl = async function* () {
      for (let i = 0; i < 20; i++) {
        if (i === 3 && sender.sessions.length === 1) sender.expired.add('s1');
        yield [upsert(`/snap${i}`)];
      }
    };
    pipe.start();
    await waitFor(() => sender.sessions.length === 2, 'second session');
    await waitFor(() => sender.count('snapshot/end true') === 1, 'complete snapshot in the new session');
    expect(sender.batches.filter((b) => b.session === 's2' && b.message_source === 'snapshot')).toHaveLength(20);
    await waitFor(() => pipe.state === 'leader', 'healthy');
  });

  it('regression: stop during a snapshot stuck on an unreachable Fusion returns promptly', async () => {
    const { pipe, sender, source } = build();
    source.snapshotImpl = async function* () {
      sender.down = true;
      for (let i = 0; i < 10; i++) yield [upsert(`/stuck${i}`)];
    };
    pipe.start();
    await waitFor(() => sender.log.includes('snapshot/start') && pipe.state === 'degraded', 'snapshot stuck');
    await pipe.stop(50);
    expect(pipe.state).toBe('stopped');
  });

  it('heartbeat keeps beating while snapshot and audit throw', async () => {
    const spec = makeSpec({ pipe: { audit_interval_sec: 0.01 } });
    const { pipe, sender, source } = build(spec);
    source.snapshotImpl = async function* () {
      yield [upsert('/x')];
      throw new Error('disk on fire');
    };
    source.auditImpl = async function* () {
      throw new Error('audit exploded');
    };
    pipe.start();
    await waitFor(() => sender.count('snapshot/end false') >= 2, 'failed snapshots (retried)');
    const beats = sender.heartbeats;
    await waitFor(() => sender.heartbeats >= beats + 5, 'heartbeats keep coming');
    source.snapshotImpl = async function* () {
      yield [upsert('/ok')];
    };
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot succeeds eventually');
    await waitFor(() => sender.count('audit/end false') >= 2, 'audits fail with complete:false');
    const beats2 = sender.heartbeats;
    await waitFor(() => sender.heartbeats >= beats2 + 5, 'heartbeats still coming');
    expect(pipe.status().errors_total).toBeGreaterThan(0);
    expect(pipe.status().recent_errors.some((e) => e.message.includes('audit exploded'))).toBe(true);
  });

  it('spool replay: events produced while Fusion is down are delivered in order when it is back', async () => {
    const { pipe, sender, source } = build();
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot');
    source.emit([upsert('/r0')]);
    await waitFor(() => sender.paths('realtime').includes('/r0'), 'live delivery');
    sender.down = true;
    for (let i = 1; i <= 50; i++) source.emit([upsert(`/r${i}`)]);
    await waitFor(() => pipe.status().spool.events >= 49, 'events spooled to disk');
    expect(pipe.state).toBe('degraded');
    sender.down = false;
    await waitFor(() => sender.paths('realtime').length >= 51, 'spool delivered');
    const paths = sender.paths('realtime');
    expect(paths).toEqual(Array.from({ length: 51 }, (_, i) => `/r${i}`));
    await waitFor(() => pipe.status().spool.events === 0, 'spool empty');
    await waitFor(() => pipe.state === 'leader', 'healthy again');
  });

  it('regression: after an outage a successful heartbeat retries the failing batch at once instead of after a long backoff', async () => {
    const { pipe, sender, source } = build(makeSpec(), new FakeSender(), { baseMs: 60_000, capMs: 60_000, jitter: 0 });
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot');
    sender.down = true;
    source.emit([upsert('/during-outage')]);
    await waitFor(() => pipe.status().spool.events === 1, 'spooled');
    sender.down = false;
    await waitFor(() => sender.paths('realtime').includes('/during-outage'), 'delivered well before the 60 s backoff');
  });

  it('spool overflow drops the spool, marks re-snapshot, keeps running, and re-snapshots once leader and connected', async () => {
    const spec = makeSpec({ pipe: { spool_max_mb: 0.002 } }); // ~2 KB
    const { pipe, sender, source } = build(spec);
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'first snapshot');
    sender.down = true;
    source.emit([upsert('/first')]);
    await waitFor(() => pipe.status().spool.events > 0, 'spooling');
    for (let i = 0; i < 100; i++) source.emit([upsert(`/fill/${i}`)]);
    await waitFor(() => pipe.status().spool.overflows >= 1, 'overflow');
    const st = pipe.status();
    expect(st.resnapshot_pending).toBe(true);
    expect(st.spool.dropped_events).toBeGreaterThan(0);
    expect(st.recent_errors.some((e) => e.message.includes('spool full'))).toBe(true);
    sender.down = false;
    await waitFor(() => sender.count('snapshot/end true') === 2, 're-snapshot after overflow');
    await waitFor(() => !pipe.status().resnapshot_pending, 'flag cleared');
    // audit_interval_sec is 0 (off) here, yet one full audit follows: only an audit finds lost deletions.
    await waitFor(() => sender.count('audit/end true') === 1, 'audit right after the recovery snapshot');
    const ends = sender.log.filter((l) => l.endsWith('/end true'));
    expect(ends).toEqual(['snapshot/end true', 'snapshot/end true', 'audit/end true']);
    expect(sender.sessions.length).toBe(1);
  });

  it('regression: a re-created watched root makes the leader snapshot and audit at once, and shows in status and heartbeat stats', async () => {
    const { pipe, sender, source } = build(); // audit_interval_sec 0: only the reset can cause an audit
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'first snapshot');
    const issue = source.options.events!.issue!;
    issue({ kind: 'root_lost', path: '/fake', message: 'the watched root was removed or moved away' });
    expect(pipe.status().recent_errors.at(-1)?.message).toContain('the watched root was removed');
    source.options.events!.rescanNeeded!('the watched root was removed or moved away; it exists again and is watched');
    await waitFor(() => sender.count('audit/end true') === 1, 'audit right after the recovery snapshot');
    expect(sender.log.filter((l) => l.endsWith('/end true'))).toEqual(['snapshot/end true', 'snapshot/end true', 'audit/end true']);
    expect(source.clears).toBeGreaterThan(1);
    const st = pipe.status();
    expect(st.realtime_resets).toBe(1);
    expect(st.errors_total).toBe(2);
    const beats = sender.heartbeats;
    await waitFor(() => sender.heartbeats > beats, 'a heartbeat after the reset');
    expect(sender.heartbeatBodies.at(-1)!.stats).toMatchObject({ realtime_resets: 1, errors_total: 2 });
    expect(sender.sessions.length).toBe(1);
  });

  it('regression: the agent never recovers from a full disk', async () => {
    // Agent home on a full file system, Fusion down, files created; then space and Fusion come back.
    let diskFull = false;
    const spoolFs: SpoolFs = {
      ...nodeSpoolFs,
      writeSync: (fd, text) => {
        if (diskFull) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return nodeSpoolFs.writeSync(fd, text);
      },
    };
    const { pipe, sender, source } = build(makeSpec(), new FakeSender(), FAST, { spoolFs });
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'first snapshot');
    diskFull = true;
    sender.down = true;
    source.emit([upsert('/in-memory-when-fusion-went-away')]);
    await waitFor(() => pipe.state === 'degraded', 'outage noticed');
    for (let i = 0; i < 5; i++) source.emit([upsert(`/created-on-full-disk-${i}`)]);
    await waitFor(() => pipe.status().spool.dropped_events === 6, 'every event that could not be spooled counted');
    let st = pipe.status();
    expect(st.spool).toMatchObject({ events: 0, writable: false, overflows: 0 });
    expect(st.spool.write_failures).toBeGreaterThanOrEqual(1);
    expect(st.resnapshot_pending).toBe(true);
    // Reported once per failing stretch, with the fix; not once per event.
    expect(st.recent_errors.filter((e) => e.message.includes('ENOSPC'))).toHaveLength(1);
    expect(st.recent_errors.find((e) => e.message.includes('ENOSPC'))!.message).toMatch(/free space/);

    diskFull = false;
    sender.down = false;
    await waitFor(() => sender.count('snapshot/end true') === 2, 're-snapshot once Fusion is back');
    await waitFor(() => sender.count('audit/end true') === 1, 'a full audit after the re-snapshot (lost deletions)');
    await waitFor(() => pipe.state === 'leader' && !pipe.status().resnapshot_pending, 'healthy again without a restart');
    // No event needed the spool since the space came back; the heartbeat's probe notices anyway.
    await waitFor(() => pipe.status().spool.writable, 'the spool reported writable again');
    source.emit([upsert('/after-recovery')]);
    await waitFor(() => sender.paths('realtime').includes('/after-recovery'), 'realtime flows again');
    // The spool works again too: the next outage is spooled and replayed, not lost.
    sender.down = true;
    source.emit([upsert('/spooled-again')]);
    await waitFor(() => pipe.status().spool.events === 1, 'spooled again');
    sender.down = false;
    await waitFor(() => sender.paths('realtime').includes('/spooled-again'), 'replayed');
    st = pipe.status();
    expect(st.spool.writable).toBe(true);
    expect(sender.log.filter((l) => l.startsWith('audit')).every((l) => l !== 'audit/end false')).toBe(true);
    expect(sender.sessions).toEqual(['s1']);
  });

  it('50 on-demand scan commands at once: at most two walks at a time, each command answered once, after its events', async () => {
    const { pipe, sender, source } = build();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    source.scanImpl = async function* (path) {
      await gate; // hold the first walks so the rest pile up in the queue
      yield [upsert(path === '/' ? '/' : path, { is_dir: true })];
    };
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot');
    const paths = Array.from({ length: 50 }, (_, i) => `/d${i}`);
    sender.pending.push(...paths.map((p, i) => ({ id: `cmd_${i}`, type: 'scan' as const, path: p, recursive: true })));
    await waitFor(() => pipe.status().on_demand.queued === 48, 'two walking, the rest queued');
    expect(source.scansRunning).toBe(2);
    release();
    await waitFor(() => sender.done.length === 50, 'every command answered');
    expect(source.scansPeak).toBe(2);
    expect(new Set(sender.done.map((d) => d.id)).size).toBe(50);
    expect(sender.done.every((d) => d.ok)).toBe(true);
    for (let i = 0; i < 50; i++) {
      expect(sender.timeline.indexOf(`batch cmd_${i}`)).toBeLessThan(sender.timeline.indexOf(`done cmd_${i}`));
    }
  });

  it('a scan command covered by a queued scan joins it; a queued recursive ancestor absorbs queued descendants', async () => {
    const { pipe, sender, source } = build(makeSpec(), new FakeSender(), FAST, { scanConcurrency: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    source.scanImpl = async function* (path) {
      if (path === '/busy') await gate;
      yield [upsert(path, { is_dir: true })];
    };
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot');
    const scan = (id: string, path: string, recursive = true) => ({ id, type: 'scan' as const, path, recursive });
    sender.pending.push(scan('c_busy', '/busy'));
    await waitFor(() => source.scansRunning === 1, 'the one slot is taken');
    // Arrive while /busy walks: /busy again must not join a walk that already started.
    sender.pending.push(scan('c_a1', '/a/x'), scan('c_a2', '/a/x', false), scan('c_b', '/b/y'), scan('c_busy2', '/busy'));
    await waitFor(() => pipe.status().on_demand.queued === 3, 'queued: /a/x (joined by its non-recursive twin), /b/y, /busy');
    sender.pending.push(scan('c_root_a', '/a'), scan('c_b_deeper', '/b/y/z', false));
    await waitFor(() => pipe.status().on_demand.coalesced === 3, 'joined: c_a2 into c_a1, c_root_a over /a/x, c_b_deeper into /b/y');
    release();
    await waitFor(() => sender.done.length === 7, 'all seven commands answered');
    expect(source.scansStarted.map((x) => x.path)).toEqual(['/busy', '/a', '/b/y', '/busy']);
    expect(source.scansStarted[1]!.recursive).toBe(true);
    expect(sender.done.every((d) => d.ok)).toBe(true);
    for (const id of ['c_a1', 'c_a2', 'c_root_a']) {
      expect(sender.timeline.indexOf(`done ${id}`)).toBeGreaterThan(sender.timeline.indexOf('batch c_a1'));
    }
  });

  it('a queued recursive scan absorbs two queued scans of its descendants into the first one\'s place', async () => {
    const { pipe, sender, source } = build(makeSpec(), new FakeSender(), FAST, { scanConcurrency: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    source.scanImpl = async function* (path) {
      if (path === '/busy') await gate;
      yield [upsert(path, { is_dir: true })];
    };
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot');
    const scan = (id: string, path: string) => ({ id, type: 'scan' as const, path, recursive: true });
    sender.pending.push(scan('busy', '/busy'));
    await waitFor(() => source.scansRunning === 1, 'the one slot is taken');
    sender.pending.push(scan('d1', '/p/one'), scan('other', '/q'), scan('d2', '/p/two'));
    await waitFor(() => pipe.status().on_demand.queued === 3, 'three queued');
    sender.pending.push(scan('parent', '/p'));
    await waitFor(() => pipe.status().on_demand.queued === 2, '/p took the place of /p/one and absorbed /p/two');
    release();
    await waitFor(() => sender.done.length === 5, 'all answered');
    expect(source.scansStarted.map((x) => x.path)).toEqual(['/busy', '/p', '/q']);
    expect(new Set(sender.done.map((d) => d.id))).toEqual(new Set(['busy', 'd1', 'other', 'd2', 'parent']));
  });

  it('on-demand scan command: on_demand batches carry command_id, then commands/{id}/done', async () => {
    const { pipe, sender } = build();
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot');
    sender.pending.push({ id: 'cmd_1', type: 'scan', path: '/x', recursive: true });
    await waitFor(() => sender.done.length === 1, 'command done');
    expect(sender.done[0]).toEqual({ id: 'cmd_1', ok: true, error: null });
    const b = sender.batches.find((x) => x.message_source === 'on_demand')!;
    expect(b.command_id).toBe('cmd_1');
    expect(b.events.map((e) => e.path)).toEqual(['/x']);
  });

  it('a failing on-demand scan (path outside the root) is answered with ok:false', async () => {
    const { pipe, sender, source } = build();
    source.scanImpl = async function* () {
      throw new Error('path escapes the watched root');
    };
    pipe.start();
    await waitFor(() => sender.sessions.length === 1, 'session');
    sender.pending.push({ id: 'cmd_bad', type: 'scan', path: '/../etc', recursive: true });
    await waitFor(() => sender.done.length === 1, 'command answered');
    expect(sender.done[0]).toMatchObject({ id: 'cmd_bad', ok: false });
    expect(sender.done[0]!.error).toContain('escapes');
  });

  it('resnapshot command makes the leader snapshot again in the same session', async () => {
    const { pipe, sender } = build();
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot');
    sender.pending.push({ id: 'cmd_r', type: 'resnapshot' });
    await waitFor(() => sender.count('snapshot/end true') === 2, 'second snapshot');
    expect(sender.sessions.length).toBe(1);
  });

  it('sentinel: fetches tasks, re-stats through the source, posts feedback', async () => {
    const { pipe, sender, source } = build(makeSpec({ pipe: { sentinel_interval_sec: 0.02 } }));
    pipe.start();
    await waitFor(() => sender.count('sentinel/feedback 1') >= 1, 'sentinel feedback');
    expect(source.sentinels[0]).toEqual(['/hot']);
  });

  it('opening a session keeps retrying with backoff while Fusion is unreachable (state reconnecting)', async () => {
    const sender = new FakeSender();
    sender.openError = new FusionError(503, 50301, 'not ready');
    const { pipe } = build(makeSpec(), sender);
    pipe.start();
    await waitFor(() => pipe.status().errors_total >= 3, 'several attempts');
    expect(pipe.state).toBe('reconnecting');
    sender.openError = null;
    await waitFor(() => pipe.state === 'leader', 'connected');
  });

  it('a rejected realtime batch (40001) is dropped and its batch_seq reused', async () => {
    const { pipe, sender, source } = build();
    sender.eventHook = (b) => (b.events.some((e) => e.path === '/bad') ? new FusionError(400, 40001, 'events[0].path: bad') : undefined);
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot');
    source.emit([upsert('/bad')]);
    await waitFor(() => pipe.status().batches_rejected === 1, 'rejected');
    source.emit([upsert('/good')]);
    await waitFor(() => sender.paths('realtime').includes('/good'), 'next batch delivered');
    const seqs = sender.batches.map((b) => b.batch_seq);
    expect(seqs).toEqual(seqs.map((_, i) => i)); // contiguous: the rejected batch consumed no number
    expect(pipe.status().events_rejected).toBe(1);
  });

  it('stop closes the session and spools what could not be flushed', async () => {
    const { pipe, sender, source } = build();
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot');
    sender.down = true;
    source.emit([upsert('/pending')]);
    await waitFor(() => pipe.status().spool.events === 1, 'spooled');
    await pipe.stop(50);
    expect(pipe.state).toBe('stopped');
    expect(source.closed).toBe(1);
    expect(sender.closedSessions).toEqual(['s1']);
    // A new pipe on the same state dir replays the spool first.
    const sender2 = new FakeSender();
    const next = build(makeSpec(), sender2);
    next.pipe.start();
    await waitFor(() => sender2.paths('realtime').includes('/pending'), 'replayed after restart');
  });
});
