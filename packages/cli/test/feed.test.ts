// `fustor watch` and `fustor wait-stable` on the change feed: resume after a Fusion restart (Last-Event-ID), catch-up
// after `lagged`, stable by time passing or by a settling write, timeouts, and the `wait-stable && …` shell idiom.

import { afterEach, describe, expect, it } from 'vitest';
import { OpenApiValidator } from '../../fusion/test/server/openapi-validator.js';
import { parsePromText } from '../../fusion/test/server/prom-text.js';
import { BIN, CliFusion, cliEnv, LiveFustor, requireBuild, runCommand, runFustor, seed } from './helpers.js';

let f: CliFusion;
const live: LiveFustor[] = [];
afterEach(async () => {
  for (const l of live.splice(0)) if (l.exit === undefined) l.child.kill('SIGKILL');
  await f?.close();
});

async function fusion(feed?: Record<string, number>): Promise<CliFusion> {
  requireBuild();
  f = new CliFusion(feed);
  await f.start();
  await seed(f);
  return f;
}

function spawn(args: string[]): LiveFustor {
  const l = new LiveFustor(args, cliEnv(f));
  live.push(l);
  return l;
}

const file = (path: string, extra: Record<string, unknown> = {}) => ({ op: 'upsert', path, is_dir: false, size: 10, mtime_ms: Date.now() - 86_400_000, is_atomic_write: true, ...extra });
const paths = (l: LiveFustor) => l.lines().map((x) => (JSON.parse(x) as { path: string }).path);

/** GET requests of one route group answered so far, from Fusion's own request counter. */
async function requestsOf(group: string): Promise<number> {
  const fams = parsePromText(await (await fetch(`${f.url}/metrics`)).text());
  return fams.get('fustor_http_requests_total')!.samples.filter((s) => s.labels.group === group && s.labels.method === 'GET').reduce((a, s) => a + s.value, 0);
}

async function feedClients(): Promise<number> {
  const fams = parsePromText(await (await fetch(`${f.url}/metrics`)).text());
  return fams.get('fustor_feed_clients')!.samples.find((s) => s.labels.view === 'research')?.value ?? 0;
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('fustor watch', () => {
  it('prints changes below PATH as JSON lines and resumes after Fusion restarts, missing nothing', async () => {
    await fusion();
    const api = await OpenApiValidator.fetch(f.url);
    const w = spawn(['watch', '/projects', '--json']);
    await w.until((x) => x.stderr.includes("following view 'research' below /projects"), 'watch to connect');
    await f.events('realtime', [file('/projects/new-1.dat'), file('/raw/elsewhere.dat')]);
    await w.until((x) => x.lines().length >= 1, 'the first change');

    await f.stop();
    await w.until((x) => x.stderr.includes('connection lost'), 'watch to notice the restart');
    await f.start();
    await f.session();
    // written before watch is back: it must still arrive, through Last-Event-ID
    await f.events('realtime', [file('/projects/new-2.dat')]);
    await w.until((x) => x.lines().length >= 2, 'the change made across the restart');
    expect(w.stderr).toMatch(/reconnected; resuming after cursor \d+/);
    await f.events('realtime', [{ op: 'delete', path: '/projects/new-1.dat' }]);
    await w.until((x) => x.lines().length >= 3, 'the delete');

    expect(paths(w)).toEqual(['/projects/new-1.dat', '/projects/new-2.dat', '/projects/new-1.dat']);
    const entries = w.lines().map((x) => JSON.parse(x));
    for (const e of entries) api.checkComponent('ChangeEntry', e);
    expect(entries.map((e) => [e.op, e.created ?? null])).toEqual([['upsert', true], ['upsert', true], ['delete', null]]);
    expect(await w.stop()).toBe(130);
  });

  it('human lines: time, what happened, path, size, owner', async () => {
    await fusion();
    const w = spawn(['watch']);
    await w.until((x) => x.stderr.includes('following view'), 'watch to connect');
    await f.events('realtime', [file('/projects/alpha/run-003.csv', { size: 2048, uid: 1001 })]);
    await w.until((x) => x.stdout.includes('run-003'), 'the change');
    expect(w.stdout).toMatch(/^\d\d:\d\d:\d\d {2}created {3}\/projects\/alpha\/run-003\.csv {2}2\.0 KiB {2}alice\n$/);
  });

  it('regression: a reader cut off with `lagged` catches up by polling and prints every entry once, in order', async () => {
    await fusion({ retention_entries: 10_000_000, retention_hours: 720, max_lag: 20 });
    const w = spawn(['watch', '--json']);
    await w.until((x) => x.stderr.includes('following view'), 'watch to connect');
    // a stopped reader stops reading its socket: Fusion's queue for it passes max_lag
    w.child.kill('SIGSTOP');
    const long = 'x'.repeat(200);
    const n = 30 * 500;
    try {
      for (let b = 0; b < 30; b++) await f.events('realtime', Array.from({ length: 500 }, (_, i) => file(`/${long}/b${b}/f${i}`)));
    } finally {
      w.child.kill('SIGCONT');
    }
    await w.until((x) => x.lines().length >= n + 30, 'every entry (files and their new directories)', 60_000);
    expect(w.stderr).toContain('fell behind the feed; catching up by polling from cursor');
    const cursors = w.lines().map((x) => (JSON.parse(x) as { cursor: number }).cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(cursors.at(-1)! - cursors[0]! + 1).toBe(cursors.length);
  });
});

describe('fustor wait-stable', () => {
  it('exits 0 at once when the subtree is already stable', async () => {
    await fusion();
    const r = await runFustor(['wait-stable', '/projects/beta'], cliEnv(f));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('finished: /projects/beta (1 file, 20 B)\n');
  });

  it('exits 0 when the newest write leaves the hot window, with no event and no polling loop', async () => {
    await fusion();
    await f.events('realtime', [file('/incoming/sub1/data.bin', { mtime_ms: Date.now() })]);
    expect((await f.client.get('/api/v1/views/research/stats?path=/incoming/sub1', 'fk_test_read_research_000000')).body.data.stable).toBe(false);
    const before = await requestsOf('queries');
    const r = await runFustor(['wait-stable', '/incoming/sub1', '--timeout', '30s', '--json'], cliEnv(f));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ path: '/incoming/sub1', stable: true });
    // views once, stats on start and at the computed moment (a poll every 250 ms would be about ten)
    expect((await requestsOf('queries')) - before).toBeLessThanOrEqual(4);
  });

  it('exits 0 when the feed reports the last open file settled', async () => {
    await fusion();
    await f.events('realtime', [file('/incoming/sub2/a.dat', { is_atomic_write: false, mtime_ms: Date.now() - 86_400_000 })]);
    const before = await requestsOf('queries');
    const w = spawn(['wait-stable', '/incoming/sub2', '--timeout', '60s']);
    // following the feed and past its first stats read (views + stats answered): it saw the open file
    await waitUntil(async () => (await feedClients()) === 1 && (await requestsOf('queries')) >= before + 2, 'wait-stable to subscribe and read stats');
    expect(w.exit).toBeUndefined();
    await f.events('realtime', [file('/incoming/sub2/a.dat', { size: 99, is_atomic_write: true })]);
    await w.until((x) => x.exit !== undefined, 'wait-stable to finish', 20_000);
    expect(w.exit).toBe(0);
    expect(w.stdout).toBe('finished: /incoming/sub2 (1 file, 99 B)\n');
  });

  it('exits 1 at the timeout, saying why it is not stable; 3 for a missing path', async () => {
    await fusion();
    await f.events('realtime', [file('/incoming/sub3/a.dat', { mtime_ms: Date.now() + 600_000 })]);
    const r = await runFustor(['wait-stable', '/incoming/sub3', '--timeout', '1s'], cliEnv(f));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/timed out after 1\.0 s: \/incoming\/sub3 is still being written/);
    expect((await runFustor(['wait-stable', '/incoming/nope', '--timeout', '1s'], cliEnv(f))).code).toBe(3);
  });

  it('works as a shell idiom: fustor wait-stable DIR && echo done', async () => {
    await fusion();
    await f.events('realtime', [file('/incoming/sub4/a.dat', { mtime_ms: Date.now() })]);
    const env = cliEnv(f);
    const cmd = `"${process.execPath}" "${BIN}"`;
    const ok = await runCommand('sh', ['-c', `${cmd} wait-stable /incoming/sub4 --timeout 30s >/dev/null && echo done`], env);
    expect(ok).toMatchObject({ code: 0, stdout: 'done\n' });
    await f.events('realtime', [file('/incoming/sub5/a.dat', { mtime_ms: Date.now() + 600_000 })]);
    const late = await runCommand('sh', ['-c', `${cmd} wait-stable /incoming/sub5 --timeout 1s 2>/dev/null && echo done || echo "not yet: $?"`], env);
    expect(late.stdout).toBe('not yet: 1\n');
  });
});
