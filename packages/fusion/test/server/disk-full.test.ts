// A full disk answers 507 50701 saying so (it was a generic 500 50001), /readyz says so too, and nothing acknowledged is lost.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ViewEngine, ViewStore } from '../../src/contract.js';
import { openViewStore } from '../../src/views/open-view-store.js';
import { KEYS, openSession, startFusion, testConfigRaw, upserts, type TestFusion } from './helpers.js';

let f: TestFusion | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const sqliteFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

/** A store whose writes fail as SQLite fails on a full disk while `full()` is true. */
function failingStore(full: () => boolean): typeof openViewStore {
  return (opts) => {
    const real = openViewStore(opts);
    const engine = (e: ViewEngine | undefined) =>
      e &&
      new Proxy(e, {
        get(t, k) {
          if (k === 'applyBatch' && full()) return () => { throw sqliteFull(); };
          const v = Reflect.get(t, k, t);
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
    return new Proxy(real, {
      get(t, k) {
        if (k === 'view') return (id: string) => engine(t.view(id));
        if ((k === 'setSetting' || k === 'saveSession') && full()) return () => { throw sqliteFull(); };
        const v = Reflect.get(t, k, t);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    }) as ViewStore;
  };
}

describe('a full disk', () => {
  it('answers 507 50701 naming the database, /readyz says the disk is full, and the retried batch applies once space is back', async () => {
    let full = false;
    f = await startFusion({ openStore: failingStore(() => full) });
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const url = `/api/v1/pipe/sessions/${s.session_id}/events`;
    expect((await f.client.post(url, KEYS.ingest, { message_source: 'realtime', batch_seq: 0, events: upserts(5, '/a') })).status).toBe(200);

    full = true;
    const failed = await f.client.post(url, KEYS.ingest, { message_source: 'realtime', batch_seq: 1, events: upserts(5, '/b') });
    expect(failed.status).toBe(507);
    expect(failed.body.code).toBe(50701);
    expect(failed.body.message).toMatch(/disk .*is full/);
    expect(failed.body.details?.storage_path).toBe(f.config.storage.path);
    const ready = await f.client.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.code).toBe(50701);
    expect(ready.body.message).toContain(f.config.storage.path);

    full = false;
    expect((await f.client.get('/readyz')).status).toBe(200);
    expect((await f.client.post(url, KEYS.ingest, { message_source: 'realtime', batch_seq: 1, events: upserts(5, '/b') })).status).toBe(200);
    expect((await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).body.data.file_count).toBe(10);
  });
});

function canMountTmpfs(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'fustor-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Needs root and mount(8) (as on the CI machines of this project); elsewhere the injected failure above covers the mapping.
describe.skipIf(!canMountTmpfs())('a really full disk (tmpfs)', () => {
  let mnt = '';
  afterEach(async () => {
    // the server holds the database open: close it before unmounting
    await f?.close();
    f = undefined;
    try {
      execFileSync('umount', [mnt], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
    rmSync(mnt, { recursive: true, force: true });
  });

  it('keeps every batch answered 200, answers 507 while full, and is ready again after the file system grows', async () => {
    mnt = mkdtempSync(join(tmpdir(), 'fustor-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
    mkdirSync(join(mnt, 'db'));
    f = await startFusion({ raw: testConfigRaw({ storage: { path: join(mnt, 'db', 'fusion.db') } }) });
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    const url = `/api/v1/pipe/sessions/${s.session_id}/events`;
    let seq = 0;
    let acked = 0;
    let rejected: { status: number; body: { code: number; message: string } } | null = null;
    const batch = (n: number) => ({ message_source: 'realtime', batch_seq: n, events: upserts(500, `/d${n}/${'x'.repeat(100)}`) });
    for (; seq < 400 && !rejected; seq++) {
      const r = await f.client.post(url, KEYS.ingest, batch(seq));
      if (r.status === 200) acked += 500;
      else rejected = r;
    }
    expect(rejected, 'the 2 MB file system never filled up').not.toBeNull();
    expect(rejected!.status).toBe(507);
    expect(rejected!.body.code).toBe(50701);
    expect((await f.client.get('/readyz')).body.code).toBe(50701);
    // everything acknowledged is served
    expect((await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).body.data.file_count).toBe(acked);

    execFileSync('mount', ['-o', 'remount,size=64m', mnt]);
    expect((await f.client.get('/readyz')).status).toBe(200);
    const retried = await f.client.post(url, KEYS.ingest, batch(seq - 1));
    expect(retried.status).toBe(200);
    expect((await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).body.data.file_count).toBe(acked + 500);
    await f.restart();
    expect((await f.client.get('/api/v1/views/research/stats?path=/', KEYS.read)).body.data.file_count).toBe(acked + 500);
  });
});
