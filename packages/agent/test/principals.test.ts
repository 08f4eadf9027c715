// Owner/group names: the getent resolver (present, absent, failing) and the pipe posting principals to Fusion.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FsSourceOptions } from '@fustor/source-fs';
import { FusionError, SessionExpiredError } from '../src/errors.js';
import type { Listing, PackedRows, PrincipalsRequest } from '@fustor/protocol';
import { encodeListings } from '@fustor/protocol/listing-codec';
import { PrincipalsReporter } from '../src/principals/reporter.js';
import { PrincipalResolver, parseDb, type CommandRunner } from '../src/principals/resolver.js';
import { FusionSender } from '../src/senders/fusion-sender.js';
import { waitFor } from '@fustor/test-helpers';
import { FakeSender, FakeSource, makeSpec, quietLogger, upsert } from './helpers/fakes.js';
import { usePipes } from './helpers/pipes.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:100::/home/alice:/bin/sh\n# comment\nbob:x:1002:100::/home/bob:/bin/sh\nalias:x:1001:100::/:/bin/sh\n';
const GROUP = 'root:x:0:\nusers:x:100:alice,bob\nlab:x:2000:\n';

/** A getent that answers from the texts above, recording each call and how many ran at once. */
function fakeGetent(opts: { delayMs?: number } = {}) {
  const calls: string[][] = [];
  let running = 0;
  let most = 0;
  const run: CommandRunner = async (cmd, args) => {
    calls.push([cmd, ...args]);
    running++;
    most = Math.max(most, running);
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    running--;
    const [db, ...keys] = args;
    const table = parseDb(db === 'passwd' ? PASSWD : GROUP);
    const lines = keys.filter((k) => table.has(Number(k))).map((k) => `${table.get(Number(k))}:x:${k}:`);
    return { stdout: lines.map((l) => l + '\n').join(''), code: lines.length === keys.length ? 0 : 2 };
  };
  return { run, calls, most: () => most };
}

const enoent = async () => {
  throw Object.assign(new Error('spawn getent ENOENT'), { code: 'ENOENT' });
};

describe('PrincipalResolver', () => {
  it('getent present: names many ids per call, caches names and "no such id", bounds concurrency', async () => {
    const g = fakeGetent({ delayMs: 5 });
    const r = new PrincipalResolver({ run: g.run, idsPerCall: 2, concurrency: 2 });
    await r.lookup('passwd', [0, 1001, 1002, 4242, 0, 7, 8]);
    expect(g.calls.map((c) => c.length - 2)).toEqual([2, 2, 2]); // 6 distinct ids, two per call
    expect(g.calls.every((c) => c[0] === 'getent' && c[1] === 'passwd')).toBe(true);
    expect(g.most()).toBeLessThanOrEqual(2);
    expect([0, 1001, 1002, 4242].map((id) => r.nameOf('passwd', id))).toEqual(['root', 'alice', 'bob', null]);
    await r.lookup('passwd', [0, 1001, 4242]);
    expect(g.calls).toHaveLength(3); // all cached, the unknown one included
    await r.lookup('group', [100, 2000]);
    expect(g.calls.at(-1)).toEqual(['getent', 'group', '100', '2000']);
    expect(r.nameOf('group', 2000)).toBe('lab');
    expect(r.usingFiles).toBe(false);
  });

  it('getent absent: falls back to /etc/passwd and /etc/group, and stops trying getent', async () => {
    let runs = 0;
    const read: string[] = [];
    const r = new PrincipalResolver({
      run: () => (runs++, enoent()),
      readText: async (p) => (read.push(p), p === '/etc/passwd' ? PASSWD : GROUP),
    });
    await r.lookup('passwd', [1001, 9999]);
    await r.lookup('group', [100]);
    expect(r.usingFiles).toBe(true);
    expect(runs).toBe(1);
    expect(read).toEqual(['/etc/passwd', '/etc/group']);
    expect(r.nameOf('passwd', 1001)).toBe('alice'); // the first line of an id wins, as getent answers
    expect(r.nameOf('passwd', 9999)).toBeNull();
    expect(r.nameOf('group', 100)).toBe('users');
  });

  it('a failing getent (bad exit code, timeout) caches nothing: the ids are asked again', async () => {
    let mode: 'fail' | 'timeout' | 'ok' = 'fail';
    const g = fakeGetent();
    const r = new PrincipalResolver({
      run: async (cmd, args) => {
        if (mode === 'fail') return { stdout: '', code: 1 };
        if (mode === 'timeout') throw Object.assign(new Error('timed out'), { killed: true, signal: 'SIGTERM' });
        return g.run(cmd, args);
      },
    });
    await r.lookup('passwd', [1001]);
    expect(r.nameOf('passwd', 1001)).toBeUndefined();
    mode = 'timeout';
    await r.lookup('passwd', [1001]);
    expect(r.nameOf('passwd', 1001)).toBeUndefined();
    mode = 'ok';
    await r.lookup('passwd', [1001]);
    expect(r.nameOf('passwd', 1001)).toBe('alice');
  });

  it('"no such id" expires after its TTL, so a user created later is found', async () => {
    let now = 1000;
    const g = fakeGetent();
    const r = new PrincipalResolver({ run: g.run, unknownTtlMs: 60_000, now: () => now });
    await r.lookup('passwd', [4242]);
    expect(r.nameOf('passwd', 4242)).toBeNull();
    now += 60_001;
    expect(r.nameOf('passwd', 4242)).toBeUndefined();
    await r.lookup('passwd', [4242]);
    expect(g.calls).toHaveLength(2);
  });

  it("the real system's database names uid 0 and gid 0 (getent, or the files where getent is missing)", async () => {
    const r = new PrincipalResolver();
    await Promise.all([r.lookup('passwd', [0]), r.lookup('group', [0])]);
    expect(r.nameOf('passwd', 0)).toBe('root');
    expect(r.nameOf('group', 0)).toMatch(/^(root|wheel)$/);
  });
});

describe('Pipe → principals', () => {
  const { newPipe } = usePipes();

  function build(run: CommandRunner = fakeGetent().run) {
    const sender = new FakeSender();
    const log = quietLogger();
    let source!: FakeSource;
    const pipe = newPipe(makeSpec(), {
      createSource: (o: FsSourceOptions) => (source = new FakeSource(o)),
      createSender: () => sender,
      log,
      principals: { resolver: new PrincipalResolver({ run }), intervalMs: 20, maxRetryMs: 50 },
    });
    source.snapshotImpl = async function* () {
      yield [upsert('/', { is_dir: true, kind: 'dir', uid: 0, gid: 0 }), upsert('/a', { uid: 1001, gid: 100 }), upsert('/b', { uid: 4242, gid: 100 })];
    };
    return { pipe, sender, source, log };
  }

  it('posts the names of the ids in outgoing events once per session, then only newly learned ones', async () => {
    const { pipe, sender, source } = build();
    pipe.start();
    await waitFor(() => sender.principals.length >= 1, 'first principals post');
    // uid 4242 is unknown to the database: no name is invented for it.
    expect(sender.principals[0]).toEqual({ session: 's1', users: { 0: 'root', 1001: 'alice' }, groups: { 0: 'root', 100: 'users' } });
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot end');
    source.emit([upsert('/rt', { uid: 1002, gid: 2000 }), upsert('/rt2', { uid: 1001, gid: 100 })]);
    await waitFor(() => sender.principals.length >= 2, 'second principals post');
    expect(sender.principals[1]).toEqual({ session: 's1', users: { 1002: 'bob' }, groups: { 2000: 'lab' } });
    // A new session (the old one expired on Fusion) gets the whole known map once.
    sender.expired.add('s1');
    await waitFor(() => sender.principals.some((p) => p.session === 's2'), 'principals for the new session');
    expect(sender.principals.find((p) => p.session === 's2')).toEqual({
      session: 's2', users: { 0: 'root', 1001: 'alice', 1002: 'bob' }, groups: { 0: 'root', 100: 'users', 2000: 'lab' },
    });
  });

  it('learns the owners of packed rows through the pipe (regression: the pipe dropped ScanChunk.packed on the way to the reporter)', async () => {
    const { pipe, sender, source } = build();
    // One directory whose two files come as packed rows owned by bob/lab: nowhere else in the scan.
    const dir: Listing = ['/p', 1, 2, ['/', 1, 0, 0, 0o755, 1, null]];
    const rows = ['a', 0, 1, 1, 1002, 2000, 0o644, 1, 'b', 0, 1, 1, 1002, 2000, 0o644, 1];
    const bytes = encodeListings([['/', 0, 0, null, ...rows] as Listing]).subarray(3 + 5); // past the array header and the 4-value head
    const packed: PackedRows = { bytes, count: 2, owners: Uint32Array.of(1002, 2000) };
    source.chunksImpl = async function* (scan) {
      if (scan.kind === 'snapshot') yield { listings: [dir], count: 3, packed: new Map([[dir, packed]]) };
    };
    pipe.start();
    await waitFor(() => sender.principals.length >= 1, 'principals post');
    expect(sender.principals[0]).toEqual({ session: 's1', users: { 0: 'root', 1002: 'bob' }, groups: { 0: 'root', 2000: 'lab' } });
  });

  it('a failing principals post never stops the pipe: it is logged and its names go with the next batch', async () => {
    const { pipe, sender, source, log } = build();
    sender.principalsHook = () => new FusionError(500, 50001, 'principals store unavailable');
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot end despite failing principals');
    source.emit([upsert('/rt', { uid: 1002, gid: 100 })]);
    await waitFor(() => sender.paths('realtime').includes('/rt'), 'realtime still flows');
    await waitFor(() => log.lines.some((l) => l.includes('sending owner and group names')), 'the failure is logged');
    expect(pipe.status().recent_errors.some((e) => e.message.includes('principals store unavailable'))).toBe(true);
    expect(sender.principals).toEqual([]);
    sender.principalsHook = null;
    await waitFor(() => sender.principals.length >= 1, 'retried post');
    const users = Object.assign({}, ...sender.principals.map((p) => p.users));
    expect(users).toEqual({ 0: 'root', 1001: 'alice', 1002: 'bob' });
    expect(pipe.state).toBe('leader');
  });

  it('an older Fusion without the principals route (404): said once per session, no error, tried again in the next session', async () => {
    const { pipe, sender, source, log } = build();
    let attempts = 0;
    sender.principalsHook = () => (attempts++, new FusionError(404, 40401, 'no route POST /api/v1/pipe/sessions/s1/principals'));
    pipe.start();
    await waitFor(() => attempts === 1, 'first attempt');
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot end');
    source.emit([upsert('/rt', { uid: 1002, gid: 2000 })]);
    await waitFor(() => sender.paths('realtime').includes('/rt'), 'realtime');
    // Several heartbeat periods (20 ms each, like the reporter's interval) pass without a new attempt.
    const beats = sender.heartbeats;
    await waitFor(() => sender.heartbeats >= beats + 4, 'a few heartbeats');
    expect(attempts).toBe(1);
    expect(log.lines.filter((l) => l.includes('does not accept owner/group names'))).toHaveLength(1);
    expect(pipe.status().errors_total).toBe(0);
    sender.principalsHook = null;
    sender.expired.add('s1');
    await waitFor(() => sender.principals.length === 1, 'full map to the next session');
    expect(sender.principals[0]).toMatchObject({ session: 's2', users: { 0: 'root', 1001: 'alice', 1002: 'bob' } });
  });

  it('regression: an agent whose getent and files both fail still runs, and sends nothing invented', async () => {
    const sender = new FakeSender();
    let source!: FakeSource;
    const pipe = newPipe(makeSpec(), {
      createSource: (o: FsSourceOptions) => (source = new FakeSource(o)),
      createSender: () => sender,
      principals: { resolver: new PrincipalResolver({ run: enoent, readText: enoent }), intervalMs: 10, maxRetryMs: 20 },
    });
    source.snapshotImpl = async function* () {
      yield [upsert('/a', { uid: 1001, gid: 100 })];
    };
    pipe.start();
    await waitFor(() => sender.count('snapshot/end true') === 1, 'snapshot end');
    source.emit([upsert('/rt')]);
    await waitFor(() => sender.paths('realtime').includes('/rt'), 'realtime');
    expect(sender.principals).toEqual([]);
  });
});

describe('FusionSender.postPrincipals', () => {
  let server: Server;
  let url: string;
  const got: Array<{ sid: string; body: unknown; key: string | undefined }> = [];

  beforeEach(async () => {
    got.length = 0;
    const app = express();
    app.use(express.json());
    app.post('/api/v1/pipe/sessions/:sid/principals', (req, res) => {
      if (req.params.sid === 'gone') return res.status(404).json({ code: 40402, message: 'session unknown or expired' });
      got.push({ sid: req.params.sid, body: req.body, key: req.get('x-api-key') });
      res.json({ code: 0, message: 'success', data: { users: 1, groups: 1 } });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('POSTs the map to /api/v1/pipe/sessions/{sid}/principals; an unknown session is SessionExpiredError', async () => {
    const sender = new FusionSender({ endpoint: url, credential: 'fk_test', timeoutMs: 5000 });
    try {
      await sender.postPrincipals('s 1', { users: { 1001: 'alice' }, groups: { 100: 'lab' } });
      expect(got).toEqual([{ sid: 's 1', body: { users: { 1001: 'alice' }, groups: { 100: 'lab' } }, key: 'fk_test' }]);
      await expect(sender.postPrincipals('gone', { users: {} })).rejects.toBeInstanceOf(SessionExpiredError);
    } finally {
      await sender.close();
    }
  });
});

describe('PrincipalsReporter.observeListings', () => {
  it('learns the owners of packed rows (ScanChunk.packed) from their owner pairs, with those of plain rows and directories', async () => {
    const g = fakeGetent();
    const sent: PrincipalsRequest[] = [];
    const rep = new PrincipalsReporter({
      resolver: new PrincipalResolver({ run: g.run }), send: async (_sid, body) => void sent.push(body), error: () => undefined, log: quietLogger(), intervalMs: 1,
    });
    const dir: Listing = ['/d', 1, 2, ['/', 1, 0, 0, 0o755, 1, null]];
    const plain: Listing = ['/e', 1, 2, null, 'f', 0, 1, 1, 1001, 100, 0o644, 1];
    const packed: PackedRows = { bytes: new Uint8Array(0), count: 2, owners: Uint32Array.of(1002, 100, 1001, 2000) };
    rep.sessionOpened('s1', new AbortController().signal);
    rep.observeListings([dir, plain], new Map([[dir, packed]]));
    await waitFor(() => sent.length > 0, 'principals post');
    expect(sent[0]).toEqual({ users: { 0: 'root', 1001: 'alice', 1002: 'bob' }, groups: { 0: 'root', 100: 'users', 2000: 'lab' } });
    rep.close();
  });
});
