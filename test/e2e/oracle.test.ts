// The oracle itself, against a real Fusion fed directly over the ingest API: paging, depth, and diff reporting.

import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FusionClient } from './helpers/fusion-client.js';
import { diffEntries, formatDiff, isEmptyDiff, walkDisk, walkFusion, waitForOracle } from './helpers/oracle.js';
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
      e.is_dir ? { op: 'upsert', path: e.path, is_dir: true, mtime_ms: Date.now() } : { op: 'upsert', path: e.path, is_dir: false, size: e.size, mtime_ms: e.mtime_ms },
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
  });
});
