// Regression: a second process opening fusion.db (`fustor-fusion keys create|list|revoke` while the daemon runs) folded
// its stale copy of the node log into the chunks on close and emptied the log, deleting rows the daemon had
// acknowledged meanwhile; the daemon's next kill -9 then lost those batches.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileEvent } from '@fustor/protocol';
import { NodeStore } from '../../src/store/node-codec.js';
import { openViewStore } from '../../src/views/open-view-store.js';
import type { ViewStore } from '../../src/contract.js';
import { checkAggregates, dumpView } from './dump.js';

const VIEWS = [{ id: 'v', hot_file_threshold_sec: 600, tombstone_ttl_sec: 3600 }];
const up = (path: string, size = 1): FileEvent => ({ op: 'upsert', path, is_dir: false, size, mtime_ms: 1_700_000_000_000 });

describe('a second opener of fusion.db while the daemon ingests', () => {
  let dir: string;
  let open: ViewStore[];
  const minRecords = NodeStore.minCheckpointRecords;
  let seq = 0;
  const store = () => {
    const s = openViewStore({ path: join(dir, 'fusion.db'), views: VIEWS });
    open.push(s);
    return s;
  };
  const ingest = (s: ViewStore, ...paths: string[]) => s.view('v')!.applyBatch('realtime', paths.map((p) => up(p, seq)), { session_id: 's', batch_seq: seq++ });
  /** The daemon is kill -9'd: never closed; a fresh store reads what is on disk. */
  const afterCrash = () => dumpView(store().view('v')!).nodes;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fustor-second-opener-'));
    open = [];
    seq = 0;
  });
  afterEach(() => {
    NodeStore.minCheckpointRecords = minRecords;
    for (const s of open) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('closing it does not fold away batches the daemon acknowledged after it loaded', () => {
    const daemon = store();
    ingest(daemon, '/a1');
    const cli = store();
    ingest(daemon, '/a2');
    cli.close();
    ingest(daemon, '/a3');
    const nodes = afterCrash();
    expect(Object.keys(nodes).sort()).toEqual(['/', '/a1', '/a2', '/a3']);
  });

  it('a daemon fold between its load and its close does not make it write stale chunks', () => {
    NodeStore.minCheckpointRecords = 4;
    const daemon = store();
    ingest(daemon, '/a1', '/a2');
    const cli = store();
    ingest(daemon, '/a1', '/a3', '/a4', '/a5'); // crosses the threshold: the daemon folds
    cli.close(); // its copy still has /a1 at the old size and no /a3../a5
    const d = dumpView(daemon.view('v')!);
    const nodes = afterCrash();
    expect(nodes).toEqual(d.nodes);
    expect(nodes['/a1']![1]).toBe(1);
  });

  it('the daemon keeps folding after another process folded, and the result loads intact', () => {
    NodeStore.minCheckpointRecords = 4;
    const daemon = store();
    ingest(daemon, '/a1', '/a2');
    store().close(); // knew everything: folds (the daemon's dirty chunks are now on disk)
    for (let i = 0; i < 20; i++) ingest(daemon, `/b${i}`, `/c${i}`, `/d${i}`);
    const expected = dumpView(daemon.view('v')!);
    // still folding (a full rewrite from memory): the log does not grow until the next restart
    const raw = new Database(join(dir, 'fusion.db'), { readonly: true });
    expect((raw.prepare(`SELECT count(*) FROM nodes_log_1`).pluck().get() as number)).toBeLessThan(3);
    raw.close();
    const reopened = store().view('v')!;
    expect(dumpView(reopened).nodes).toEqual(expected.nodes);
    expect(checkAggregates(reopened)).toEqual([]);
  });
});
