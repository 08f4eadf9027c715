// The oracle itself, against a real Fusion fed directly over the ingest API: paging, depth, and diff reporting.

import { appendFileSync, mkdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FusionClient } from './helpers/fusion-client.js';
import { diffEntries, formatDiff, isEmptyDiff, walkDisk, walkFusion, waitForOracle, type EntryMap } from './helpers/oracle.js';
import { generateTree, writeTree } from '@fustor/test-helpers';
import { FusionNode, World } from './helpers/world.js';

describe('oracle', () => {
  test('sees a wide directory (several pages) and a deep one, and reports missing, extra and changed entries', async () => {
    const w = World.create('oracle');
    const data = w.dir('data');
    generateTree(data, 1, 1_200, 'wide');
    writeTree(data, { 'a/b/c/d/e/f/deep.dat': 'deep', 'top.txt': 'top' });
    mkdirSync(join(data, 'empty-dir'));
    const fusion = await FusionNode.start(w);
    const ingest = new FusionClient(fusion.url, fusion.ingestKey);

    const before = diffEntries(walkDisk(data), await walkFusion(fusion.client, 'research'));
    expect(before.missing.length).toBe(1_200 + 1 + 6 + 1 + 1 + 1);
    expect(formatDiff(before)).toContain('on disk, missing in Fusion (1210)');

    // Feed Fusion what is on disk, in realtime batches of at most 1000 events.
    const sess = await ingest.raw<{ session_id: string }>('POST', '/api/v1/pipe/sessions', { agent_id: 'oracle-test', pipe_id: 'p', view: 'research' });
    expect(sess.status).toBe(200);
    const sid = sess.body!.data!.session_id;
    const events = [...walkDisk(data).values()].map((e) =>
      e.is_dir ? { op: 'upsert', path: e.path, is_dir: true, mtime_ms: e.mtime_ms } : { op: 'upsert', path: e.path, is_dir: false, size: e.size, mtime_ms: e.mtime_ms },
    );
    for (let i = 0, seq = 0; i < events.length; i += 1000, seq++) {
      const r = await ingest.raw('POST', `/api/v1/pipe/sessions/${sid}/events`, { message_source: 'realtime', batch_seq: seq, events: events.slice(i, i + 1000) });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const seen = await waitForOracle(fusion.client, 'research', data, { timeoutMs: 10_000 });
    expect(seen.get('/a/b/c/d/e/f/deep.dat')?.size).toBe(4);
    expect(seen.get('/empty-dir')?.is_dir).toBe(true);

    // A change on disk that Fusion did not hear about is reported as "different".
    appendFileSync(join(data, 'top.txt'), '!');
    const after = diffEntries(walkDisk(data), await walkFusion(fusion.client, 'research'));
    expect(isEmptyDiff(after)).toBe(false);
    expect(after.changed.map((c) => c.disk.path)).toEqual(['/top.txt']);
    await expect(waitForOracle(fusion.client, 'research', data, { timeoutMs: 600 })).rejects.toThrow(/different \(1\):\n {2}disk: \/top\.txt size=4/);

    // Directory mtimes are compared too: creating, deleting or renaming an entry moves them.
    utimesSync(join(data, 'a/b'), new Date(2001, 0, 1), new Date(2001, 0, 1));
    const dirs = diffEntries(walkDisk(data), await walkFusion(fusion.client, 'research'));
    expect(dirs.changed.map((c) => c.disk.path).sort()).toEqual(['/a/b', '/top.txt']);
  });

  test('metadata (kind, uid, gid, mode) is compared only when asked for, and a difference is shown with it', () => {
    const disk: EntryMap = new Map([
      ['/f', { path: '/f', is_dir: false, size: 1, mtime_ms: 5, kind: 'fifo', uid: 7, gid: 8, mode: 0o640 }],
      ['/d', { path: '/d', is_dir: true, size: 0, mtime_ms: 9, kind: 'dir', uid: 0, gid: 0, mode: 0o755 }],
    ]);
    const fusion: EntryMap = new Map([
      ['/f', { path: '/f', is_dir: false, size: 1, mtime_ms: 5, kind: 'file', uid: 7, gid: 8, mode: 0o640 }],
      ['/d', { path: '/d', is_dir: true, size: 0, mtime_ms: 9, kind: 'dir', uid: 0, gid: null, mode: 0o755 }],
    ]);
    expect(isEmptyDiff(diffEntries(disk, fusion))).toBe(true);
    const d = diffEntries(disk, fusion, { meta: true });
    expect(d.changed.map((c) => c.disk.path)).toEqual(['/f', '/d']);
    expect(formatDiff(d, 25, true)).toContain('disk: /f size=1 mtime_ms=5 kind=fifo uid=7 gid=8 mode=0o640  fusion: /f size=1 mtime_ms=5 kind=file');
    // A directory's mtime is compared like a file's.
    fusion.set('/d', { ...fusion.get('/d')!, gid: 0, mtime_ms: 100 });
    expect(diffEntries(disk, fusion).changed.map((c) => c.disk.path)).toEqual(['/d']);
  });
});
