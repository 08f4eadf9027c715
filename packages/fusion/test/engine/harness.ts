// Test harness: a view store on a temp or in-memory DB with hand-driven physical and monotonic clocks.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileEvent, MessageSource, SentinelResult, TreeNode } from '@fustor/protocol';
import { openViewStore } from '../../src/views/open-view-store.js';
import type { SessionRecord, ViewConfig, ViewEngine, ViewStore } from '../../src/contract.js';

export const T0 = 1_700_000_000_000;
export const HOT_SEC = 60;
export const TTL_SEC = 3600;
export const OLD = T0 - 10_000_000;

export const VIEW: ViewConfig = { id: 'v', hot_file_threshold_sec: HOT_SEC, tombstone_ttl_sec: TTL_SEC };

export function session(id = 's1', view = 'v'): SessionRecord {
  return {
    session_id: id,
    view,
    agent_id: 'agent-' + id,
    pipe_id: 'p1',
    key_id: 'k1',
    role: 'leader',
    timeout_sec: 30,
    created_at_ms: T0,
    last_heartbeat_ms: T0,
    can_realtime: true,
    client_ip: null,
    last_batch_seq: -1,
    snapshot_started: false,
  };
}

export class Harness {
  phys = T0;
  mono = 1_000;
  readonly dir: string | null;
  readonly path: string;
  store: ViewStore;
  seq = 0;

  readonly #feedRetention: { entries: number; hours: number } | undefined;

  constructor(opts: { file?: boolean; view?: ViewConfig; synchronous?: 'full' | 'normal'; feedRetention?: { entries: number; hours: number } } = {}) {
    this.dir = opts.file ? mkdtempSync(join(tmpdir(), 'fusion-engine-')) : null;
    this.path = this.dir ? join(this.dir, 'fusion.db') : ':memory:';
    this.#feedRetention = opts.feedRetention;
    this.store = this.open(opts.view ?? VIEW, opts.synchronous);
    this.store.saveSession(session());
  }

  open(view: ViewConfig = VIEW, synchronous?: 'full' | 'normal'): ViewStore {
    return openViewStore({
      path: this.path,
      views: [view],
      clocks: { physical: () => this.phys, monotonic: () => this.mono },
      ...(synchronous ? { synchronous } : {}),
      ...(this.#feedRetention ? { feedRetention: this.#feedRetention } : {}),
    });
  }

  get v(): ViewEngine {
    return this.store.view('v')!;
  }

  send(source: MessageSource, events: FileEvent[], sessionId = 's1'): { accepted: number; ignored: number } {
    return this.v.applyBatch(source, events, { session_id: sessionId, batch_seq: this.seq++, command_id: source === 'on_demand' ? 'cmd' : null });
  }

  node(path: string): TreeNode | null {
    return this.v.tree(path, { depth: 1, page: 1, page_size: 1000, sort_by: 'name', sort_order: 'asc', only_path: false });
  }

  suspects(): string[] {
    return this.v.suspects(1, 1000).items.map((s) => s.path).sort();
  }

  blind(kind: 'addition' | 'deletion'): string[] {
    return this.v.blindSpots(kind, 1, 1000).items.map((b) => b.path).sort();
  }

  sentinel(results: SentinelResult[]) {
    return this.v.sentinelFeedback(results);
  }

  close(): void {
    try {
      this.store.close();
    } catch {
      /* already closed */
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export const up = (path: string, mtime_ms: number, extra: Partial<Extract<FileEvent, { op: 'upsert' }>> = {}): FileEvent => ({
  op: 'upsert',
  path,
  is_dir: false,
  size: 1,
  mtime_ms,
  ...extra,
});
export const dir = (path: string, mtime_ms: number, extra: Partial<Extract<FileEvent, { op: 'upsert' }>> = {}): FileEvent => ({
  op: 'upsert',
  path,
  is_dir: true,
  mtime_ms,
  ...extra,
});
export const del = (path: string): FileEvent => ({ op: 'delete', path });
