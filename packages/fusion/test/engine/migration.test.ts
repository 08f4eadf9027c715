// A fusion.db written by the previous release (schema 2, fixtures/fusion-schema2.db) opens in place and keeps its data.

import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TreeNode } from '@fustor/protocol';
import { SCHEMA_VERSION } from '../../src/store/schema.js';
import { openViewStore } from '../../src/views/open-view-store.js';
import type { ViewConfig, ViewEngine, ViewStore } from '../../src/contract.js';

const FIXTURE = new URL('../fixtures/fusion-schema2.db', import.meta.url);
const EXPECTED = JSON.parse(readFileSync(new URL('../fixtures/fusion-schema2.expected.json', import.meta.url), 'utf8')) as {
  counters: Record<string, number>;
  nodes: Array<Record<string, unknown>>;
  tombstones: string[];
  blindDels: string[];
  blindAdds: string[];
  suspects: string[];
  sessions: unknown[];
  settings: unknown;
};
const VIEWS: ViewConfig[] = [
  { id: 'research', hot_file_threshold_sec: 600, tombstone_ttl_sec: 3600 },
  { id: 'empty', hot_file_threshold_sec: 60, tombstone_ttl_sec: 60 },
];
/** The fields the release answered; the new ones are checked separately. */
const OLD_FIELDS = ['path', 'name', 'is_dir', 'size', 'mtime_ms', 'integrity_suspect', 'blind_spot', 'known_by_agent', 'audit_skipped'];

function allNodes(v: ViewEngine): TreeNode[] {
  const out: TreeNode[] = [];
  const walk = (p: string) => {
    const n = v.tree(p, { depth: 1, page: 1, page_size: 1000, sort_by: 'name', sort_order: 'asc', only_path: false })!;
    for (const c of n.children?.items ?? []) {
      out.push(c);
      if (c.is_dir) walk(c.path);
    }
  };
  walk('/');
  return out;
}

const pick = (n: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((k) => k in n).map((k) => [k, n[k]]));

describe('schema 2 → 3 migration, in place', () => {
  let dir: string;
  let path: string;
  let store: ViewStore | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fustor-migrate-'));
    path = join(dir, 'fusion.db');
    copyFileSync(FIXTURE, path);
  });
  afterEach(() => {
    store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens the release database with every node, mark, session and setting it held', () => {
    store = openViewStore({ path, views: VIEWS });
    const v = store.view('research')!;
    const { last_event_at_ms: _l, ...counters } = v.counters();
    expect(counters).toMatchObject(EXPECTED.counters);
    const nodes = allNodes(v);
    expect(nodes.map((n) => pick(n, OLD_FIELDS))).toEqual(EXPECTED.nodes.map((n) => pick(n, OLD_FIELDS)));
    expect([...v.suspects(1, 1000).items.map((s) => s.path)]).toEqual(EXPECTED.suspects);
    expect(v.blindSpots('addition', 1, 1000).items.map((b) => b.path)).toEqual(EXPECTED.blindAdds);
    expect(v.blindSpots('deletion', 1, 1000).items.map((b) => b.path)).toEqual(EXPECTED.blindDels);
    expect(v.counters().tombstone_count).toBe(EXPECTED.tombstones.length);
    expect(store.loadSessions()).toEqual(EXPECTED.sessions);
    expect(store.getSetting('runtime_settings')).toEqual(EXPECTED.settings);
  });

  it('answers the new fields of old nodes as null (directories as dir), never invented', () => {
    store = openViewStore({ path, views: VIEWS });
    const nodes = allNodes(store.view('research')!);
    for (const n of nodes) {
      expect(n, n.path).toMatchObject({ uid: null, gid: null, mode: null, ctime_ms: null, owner: null, last_agent_id: null, last_source: null });
      expect(n.kind, n.path).toBe(n.is_dir ? 'dir' : null);
    }
  });

  it('records schema 3 and writes metadata next to the old rows; both survive a restart', () => {
    store = openViewStore({ path, views: VIEWS });
    const v = store.view('research')!;
    v.applyBatch('realtime', [{ op: 'upsert', path: '/projects/p1/new.dat', is_dir: false, size: 5, mtime_ms: 1_700_000_000_500, kind: 'file', uid: 42, gid: 7, mode: 0o644, ctime_ms: 1_700_000_000_501 }], { session_id: 'sess-1', agent_id: 'node-z', batch_seq: 7 });
    store.close();
    store = undefined;
    const db = new Database(path, { readonly: true });
    expect(db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get()).toBe(String(SCHEMA_VERSION));
    db.close();
    store = openViewStore({ path, views: VIEWS });
    const again = store.view('research')!;
    expect(again.counters().file_count).toBe(EXPECTED.counters.file_count! + 1);
    const n = again.tree('/projects/p1/new.dat', { depth: 1, page: 1, page_size: 1, sort_by: 'name', sort_order: 'asc', only_path: false });
    expect(n).toMatchObject({ kind: 'file', uid: 42, gid: 7, mode: 0o644, last_agent_id: 'node-z', last_source: 'realtime' });
    const old = again.tree('/projects/p2/f3.dat', { depth: 1, page: 1, page_size: 1, sort_by: 'name', sort_order: 'asc', only_path: false });
    expect(pick(old as Record<string, unknown>, OLD_FIELDS)).toEqual(pick(EXPECTED.nodes.find((x) => x.path === '/projects/p2/f3.dat')!, OLD_FIELDS));
  });
});
