// On-demand scan jobs created by `force_real_time` tree queries: a command id → its outcome and the queries waiting on it.

import type { Command } from '@fustor/protocol';

export type JobStatus = 'pending' | 'done' | 'failed';

export interface Job {
  id: string;
  session_id: string;
  view: string;
  /** The scanned path of a scan command; null for other commands. */
  path: string | null;
  status: JobStatus;
  error: string | null;
  created_at_ms: number;
}

const KEEP_FINISHED_MS = 10 * 60_000;

export class JobTracker {
  readonly #jobs = new Map<string, Job>();
  readonly #waiters = new Map<string, Set<() => void>>();

  add(cmd: Command, sessionId: string, view: string): Job {
    this.#gc();
    const job: Job = {
      id: cmd.id, session_id: sessionId, view, path: cmd.type === 'scan' ? cmd.path : null, status: 'pending', error: null, created_at_ms: Date.now(),
    };
    this.#jobs.set(cmd.id, job);
    return job;
  }
  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }
  /**
   * The pending scan of `path` in `view` sent to `sessionId`, if any: a second query for the same path
   * joins it instead of sending the leader another walk of the same tree.
   */
  pendingScan(view: string, sessionId: string, path: string): Job | undefined {
    for (const job of this.#jobs.values()) {
      if (job.status === 'pending' && job.view === view && job.session_id === sessionId && job.path === path) return job;
    }
    return undefined;
  }
  finish(id: string, ok: boolean, error: string | null): void {
    const job = this.#jobs.get(id);
    if (!job || job.status !== 'pending') return;
    job.status = ok ? 'done' : 'failed';
    job.error = ok ? null : error ?? 'scan failed';
    this.#wake(id);
  }
  /** A session ended before answering: its pending jobs fail. */
  failSession(sessionId: string, reason: string): void {
    for (const job of this.#jobs.values()) {
      if (job.session_id === sessionId && job.status === 'pending') this.finish(job.id, false, reason);
    }
  }
  /** Waits until the job finishes or `timeoutMs` passes (then it is still pending). */
  wait(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Job | undefined> {
    const job = this.#jobs.get(id);
    if (!job || job.status !== 'pending' || timeoutMs <= 0) return Promise.resolve(job);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.get(id)?.delete(done);
        signal?.removeEventListener('abort', done);
        resolve(this.#jobs.get(id));
      };
      const timer = setTimeout(done, timeoutMs);
      let set = this.#waiters.get(id);
      if (!set) this.#waiters.set(id, (set = new Set()));
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
  /** Queries waiting on the job. */
  waiting(id: string): number {
    return this.#waiters.get(id)?.size ?? 0;
  }
  /** Shutdown: wakes every waiting query (their jobs stay pending). */
  cancelAll(): void {
    for (const id of [...this.#waiters.keys()]) this.#wake(id);
  }
  #wake(id: string): void {
    const set = this.#waiters.get(id);
    this.#waiters.delete(id);
    if (set) for (const w of set) w();
  }
  #gc(): void {
    const cutoff = Date.now() - KEEP_FINISHED_MS;
    for (const [id, job] of this.#jobs) if (job.status !== 'pending' && job.created_at_ms < cutoff) this.#jobs.delete(id);
  }
}
