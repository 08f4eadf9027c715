// Sessions and key/value settings rows: a Fusion restart is invisible to agents and admins.

import type Database from 'better-sqlite3';
import type { SessionRecord } from '../contract.js';

interface SessionRow {
  session_id: string;
  view: string;
  agent_id: string;
  pipe_id: string;
  key_id: string;
  role: string;
  timeout_sec: number;
  created_at_ms: number;
  last_heartbeat_ms: number;
  can_realtime: number;
  client_ip: string | null;
  last_batch_seq: number;
  snapshot_started: number;
}

export class SessionRepo {
  readonly #save: Database.Statement;
  readonly #del: Database.Statement;
  readonly #all: Database.Statement;
  readonly #getSetting: Database.Statement;
  readonly #setSetting: Database.Statement;

  constructor(db: Database.Database) {
    // last_batch_seq only moves forward: the engine records it with each batch, and a caller saving
    // an older copy of the record (e.g. on heartbeat) must not roll it back.
    this.#save = db.prepare(`INSERT INTO sessions (session_id, view, agent_id, pipe_id, key_id, role, timeout_sec,
        created_at_ms, last_heartbeat_ms, can_realtime, client_ip, last_batch_seq, snapshot_started)
      VALUES (@session_id, @view, @agent_id, @pipe_id, @key_id, @role, @timeout_sec, @created_at_ms,
        @last_heartbeat_ms, @can_realtime, @client_ip, @last_batch_seq, @snapshot_started)
      ON CONFLICT(session_id) DO UPDATE SET view=excluded.view, agent_id=excluded.agent_id,
        pipe_id=excluded.pipe_id, key_id=excluded.key_id, role=excluded.role, timeout_sec=excluded.timeout_sec,
        created_at_ms=excluded.created_at_ms, last_heartbeat_ms=excluded.last_heartbeat_ms,
        can_realtime=excluded.can_realtime, client_ip=excluded.client_ip,
        last_batch_seq=max(sessions.last_batch_seq, excluded.last_batch_seq),
        snapshot_started=excluded.snapshot_started`);
    this.#del = db.prepare(`DELETE FROM sessions WHERE session_id = ?`);
    this.#all = db.prepare(`SELECT * FROM sessions ORDER BY created_at_ms, session_id`);
    this.#getSetting = db.prepare(`SELECT value FROM settings WHERE key = ?`);
    this.#setSetting = db.prepare(`INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)`);
  }

  save(s: SessionRecord): void {
    this.#save.run({
      session_id: s.session_id,
      view: s.view,
      agent_id: s.agent_id,
      pipe_id: s.pipe_id,
      key_id: s.key_id,
      role: s.role,
      timeout_sec: s.timeout_sec,
      created_at_ms: s.created_at_ms,
      last_heartbeat_ms: s.last_heartbeat_ms,
      can_realtime: s.can_realtime ? 1 : 0,
      client_ip: s.client_ip,
      last_batch_seq: s.last_batch_seq,
      snapshot_started: s.snapshot_started ? 1 : 0,
    });
  }

  delete(sessionId: string): void {
    this.#del.run(sessionId);
  }

  all(): SessionRecord[] {
    return (this.#all.all() as SessionRow[]).map((r) => ({
      session_id: r.session_id,
      view: r.view,
      agent_id: r.agent_id,
      pipe_id: r.pipe_id,
      key_id: r.key_id,
      role: r.role === 'leader' ? 'leader' : 'follower',
      timeout_sec: r.timeout_sec,
      created_at_ms: r.created_at_ms,
      last_heartbeat_ms: r.last_heartbeat_ms,
      can_realtime: r.can_realtime !== 0,
      client_ip: r.client_ip,
      last_batch_seq: r.last_batch_seq,
      snapshot_started: r.snapshot_started !== 0,
    }));
  }

  getSetting<T>(key: string): T | undefined {
    const row = this.#getSetting.get(key) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  setSetting(key: string, value: unknown): void {
    this.#setSetting.run(key, JSON.stringify(value ?? null));
  }
}
