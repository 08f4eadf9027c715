// Sessions and per-view leader election (consistency.md §1): first come first served, no pre-emption,
// release on close / replacement / heartbeat timeout (own timer), promotion of the first follower to heartbeat.

import { randomBytes } from 'node:crypto';
import type { Command, CommandsResponse, CreateSessionRequest, HeartbeatRequest, HeartbeatResponse, SessionCreated, SessionInfo } from '@fustor/protocol';
import type { SessionRecord, ViewStore } from '../contract.js';
import { NotReadyError, SessionExpiredError } from '../errors.js';
import { CommandQueue } from './command-queue.js';

export interface LiveSession {
  readonly rec: SessionRecord;
  /** Local clock of the last heartbeat, re-armed to "now" after a restart. */
  lastSeenMs: number;
  /** Became leader by taking over from a released leader: its first snapshot clears blind spots. */
  promoted: boolean;
  readonly queue: CommandQueue;
  phase: string | null;
  stats: Record<string, unknown> | null;
}

function pipeKey(keyId: string, agentId: string, pipeId: string): string {
  return `${keyId}\0${agentId}\0${pipeId}`;
}

export type CloseReason = 'closed' | 'replaced' | 'timeout' | 'view-removed' | 'moved';

export interface SessionManagerOptions {
  store: ViewStore;
  defaultTimeoutSec: number;
  now?: () => number;
  /** How often expiry is checked (default: a quarter of the smallest timeout, 50 ms … 1 s). */
  sweepIntervalMs?: number;
  onClose?: (s: LiveSession, reason: CloseReason) => void;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export class SessionManager {
  readonly #store: ViewStore;
  #defaultTimeoutSec: number;
  readonly #now: () => number;
  readonly #sessions = new Map<string, LiveSession>();
  readonly #leaders = new Map<string, string>();
  /** Views that had a leader which was then released: the next leader is "after a leader change". */
  readonly #released = new Set<string>();
  /** (key, agent, pipe) → session: a new session replaces the one its own key opened for that pipe, never another key's. */
  readonly #byAgentPipe = new Map<string, string>();
  /** Sessions whose view left this node (cluster): answered 503, not 40402, so agents keep them. */
  readonly #moved = new Set<string>();
  readonly #opts: SessionManagerOptions;
  #timer: NodeJS.Timeout | null = null;

  constructor(opts: SessionManagerOptions) {
    this.#opts = opts;
    this.#store = opts.store;
    this.#defaultTimeoutSec = opts.defaultTimeoutSec;
    this.#now = opts.now ?? Date.now;
  }

  set defaultTimeoutSec(sec: number) {
    this.#defaultTimeoutSec = sec;
  }

  /** Reloads persisted sessions (their timeouts re-armed from now) and starts the expiry timer. */
  start(knownViews: (view: string) => boolean): void {
    const now = this.#now();
    for (const rec of this.#store.loadSessions()) {
      if (!knownViews(rec.view)) {
        this.#store.deleteSession(rec.session_id);
        continue;
      }
      const live = this.#live({ ...rec }, now);
      if (rec.role === 'leader') {
        if (this.#leaders.has(rec.view)) {
          live.rec.role = 'follower';
          this.#store.saveSession(live.rec);
        } else this.#leaders.set(rec.view, rec.session_id);
      }
    }
    this.#armTimer();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const s of this.#sessions.values()) s.queue.wake();
  }

  #armTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    const every = this.#opts.sweepIntervalMs ?? Math.min(1000, Math.max(50, (this.#defaultTimeoutSec * 1000) / 4));
    this.#timer = setInterval(() => this.sweep(), every);
    this.#timer.unref();
  }

  #live(rec: SessionRecord, now: number): LiveSession {
    const live: LiveSession = { rec, lastSeenMs: now, promoted: false, queue: new CommandQueue(), phase: null, stats: null };
    this.#sessions.set(rec.session_id, live);
    this.#byAgentPipe.set(pipeKey(rec.key_id, rec.agent_id, rec.pipe_id), rec.session_id);
    return live;
  }

  create(req: CreateSessionRequest & { view: string }, keyId: string, clientIp: string | null): SessionCreated {
    const prev = this.#byAgentPipe.get(pipeKey(keyId, req.agent_id, req.pipe_id));
    if (prev) this.close(prev, 'replaced');
    const now = this.#now();
    const timeout = Math.max(req.session_timeout_sec ?? 0, this.#defaultTimeoutSec);
    const rec: SessionRecord = {
      session_id: `ses_${randomBytes(12).toString('base64url')}`,
      view: req.view,
      agent_id: req.agent_id,
      pipe_id: req.pipe_id,
      key_id: keyId,
      role: 'follower',
      timeout_sec: timeout,
      created_at_ms: now,
      last_heartbeat_ms: now,
      can_realtime: req.can_realtime ?? true,
      client_ip: clientIp,
      last_batch_seq: -1,
      snapshot_started: false,
    };
    const live = this.#live(rec, now);
    if (!this.#leaders.has(req.view)) this.#becomeLeader(live);
    this.#store.saveSession(rec);
    this.#opts.log?.('info', 'session opened', { session_id: rec.session_id, view: rec.view, agent_id: rec.agent_id, pipe_id: rec.pipe_id, role: rec.role });
    return {
      session_id: rec.session_id,
      view: rec.view,
      role: rec.role,
      timeout_sec: timeout,
      heartbeat_interval_sec: timeout / 2,
      server_time_ms: now,
    };
  }

  #becomeLeader(s: LiveSession): void {
    s.rec.role = 'leader';
    s.promoted = this.#released.delete(s.rec.view);
    this.#leaders.set(s.rec.view, s.rec.session_id);
  }

  get(sessionId: string): LiveSession {
    const s = this.#sessions.get(sessionId);
    if (!s) {
      // Cluster: the session lives on with the view on another node; 503 makes the agent retry through routing.
      if (this.#moved.has(sessionId)) throw new NotReadyError(`session '${sessionId}' moved to another node with its view; retry`);
      throw new SessionExpiredError(sessionId);
    }
    return s;
  }

  find(sessionId: string): LiveSession | undefined {
    return this.#sessions.get(sessionId);
  }

  heartbeat(sessionId: string, body: HeartbeatRequest): HeartbeatResponse {
    const s = this.get(sessionId);
    s.lastSeenMs = this.#now();
    s.rec.last_heartbeat_ms = s.lastSeenMs;
    if (body.can_realtime !== undefined) s.rec.can_realtime = body.can_realtime;
    if (body.phase !== undefined) s.phase = body.phase;
    if (body.stats !== undefined) s.stats = body.stats;
    if (s.rec.role === 'follower' && !this.#leaders.has(s.rec.view)) {
      this.#becomeLeader(s);
      this.#opts.log?.('info', 'follower promoted to leader', { session_id: sessionId, view: s.rec.view });
      s.queue.wake();
    }
    this.#store.saveSession(s.rec);
    return { role: s.rec.role, timeout_sec: s.rec.timeout_sec, commands: s.queue.drain() };
  }

  /** Long poll: answers at once when commands are pending, else on the next command / role change / close / timeout. */
  async waitCommands(sessionId: string, waitMs: number, signal?: AbortSignal): Promise<CommandsResponse> {
    let s = this.get(sessionId);
    if (s.queue.size === 0 && waitMs > 0 && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          off();
          signal?.removeEventListener('abort', finish);
          resolve();
        };
        const timer = setTimeout(finish, waitMs);
        const off = s.queue.onWake(() => finish());
        signal?.addEventListener('abort', finish, { once: true });
      });
      s = this.get(sessionId);
    }
    return { role: s.rec.role, commands: signal?.aborted ? [] : s.queue.drain() };
  }

  enqueue(sessionId: string, cmd: Command): void {
    this.get(sessionId).queue.push(cmd);
  }

  /** Records the batch_seq the engine just committed for the session (it persisted it in the same transaction). */
  noteBatch(s: LiveSession, batchSeq: number): void {
    s.rec.last_batch_seq = batchSeq;
    s.lastSeenMs = this.#now();
  }

  /** Marks the session's snapshot begun; true when blind spots should be cleared (first snapshot after a leader change). */
  markSnapshotStarted(s: LiveSession): boolean {
    const first = !s.rec.snapshot_started;
    const clear = first && s.promoted;
    if (first) {
      s.rec.snapshot_started = true;
      this.#store.saveSession(s.rec);
    }
    return clear;
  }

  close(sessionId: string, reason: CloseReason): boolean {
    const s = this.#sessions.get(sessionId);
    if (!s) return false;
    this.#sessions.delete(sessionId);
    const apKey = pipeKey(s.rec.key_id, s.rec.agent_id, s.rec.pipe_id);
    if (this.#byAgentPipe.get(apKey) === sessionId) this.#byAgentPipe.delete(apKey);
    if (this.#leaders.get(s.rec.view) === sessionId) {
      this.#leaders.delete(s.rec.view);
      this.#released.add(s.rec.view);
    }
    try {
      this.#store.deleteSession(sessionId);
    } finally {
      // released in memory whatever the store says (a full disk): waiters learn it now
      s.queue.wake();
      this.#opts.onClose?.(s, reason);
      this.#opts.log?.('info', 'session closed', { session_id: sessionId, view: s.rec.view, reason, was_leader: s.rec.role === 'leader' });
    }
    return true;
  }

  /** Expires sessions whose last heartbeat is older than their timeout (Fusion's own clock, no request needed). */
  sweep(): void {
    const now = this.#now();
    for (const s of [...this.#sessions.values()]) {
      if (now - s.lastSeenMs <= s.rec.timeout_sec * 1000) continue;
      try {
        this.close(s.rec.session_id, 'timeout');
      } catch (err) {
        // a full disk must not stop the timer: the session is released in memory, its row goes later
        this.#opts.log?.('error', 'closing an expired session failed', { session_id: s.rec.session_id, error: (err as Error).message });
      }
    }
  }

  /** Closes every session of a view that is no longer configured. */
  dropView(view: string): void {
    for (const s of [...this.#sessions.values()]) if (s.rec.view === view) this.close(s.rec.session_id, 'view-removed');
    this.#released.delete(view);
  }

  leaderOf(view: string): LiveSession | undefined {
    const id = this.#leaders.get(view);
    return id ? this.#sessions.get(id) : undefined;
  }

  sessionsOf(view: string): LiveSession[] {
    return [...this.#sessions.values()].filter((s) => s.rec.view === view);
  }

  all(): LiveSession[] {
    return [...this.#sessions.values()];
  }

  /** consumers.md §3: every live session of the view reports full realtime coverage (false with none). */
  canRealtime(view: string): boolean {
    const all = this.sessionsOf(view);
    return all.length > 0 && all.every((s) => s.rec.can_realtime);
  }

  /**
   * Cluster takeover: the view's persisted sessions become live here, their timeouts re-armed from now,
   * so agents carry on with the same session (no new session, no re-snapshot). Replaces any stale copy.
   */
  adoptView(view: string, recs: readonly SessionRecord[]): void {
    this.forgetView(view);
    const now = this.#now();
    for (const rec of recs) {
      if (rec.view !== view) continue;
      this.#moved.delete(rec.session_id);
      const live = this.#live({ ...rec }, now);
      if (rec.role !== 'leader') continue;
      if (this.#leaders.has(view)) live.rec.role = 'follower';
      else this.#leaders.set(view, rec.session_id);
    }
  }

  /** Cluster: the view moved away or failed here. Its sessions are forgotten locally, never deleted from storage. */
  forgetView(view: string): void {
    for (const s of [...this.#sessions.values()]) {
      if (s.rec.view !== view) continue;
      this.#sessions.delete(s.rec.session_id);
      this.#moved.add(s.rec.session_id);
      const apKey = pipeKey(s.rec.key_id, s.rec.agent_id, s.rec.pipe_id);
      if (this.#byAgentPipe.get(apKey) === s.rec.session_id) this.#byAgentPipe.delete(apKey);
      s.queue.wake();
      this.#opts.onClose?.(s, 'moved');
    }
    this.#leaders.delete(view);
    this.#released.delete(view);
  }

  static info(s: LiveSession): SessionInfo {
    const r = s.rec;
    return {
      session_id: r.session_id,
      agent_id: r.agent_id,
      pipe_id: r.pipe_id,
      role: r.role,
      created_at_ms: r.created_at_ms,
      last_heartbeat_ms: r.last_heartbeat_ms,
      can_realtime: r.can_realtime,
      client_ip: r.client_ip,
      phase: s.phase,
      stats: s.stats,
    };
  }
}
