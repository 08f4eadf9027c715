// Copies fusion.db's WAL into the main file from a worker thread, so commits rarely wait on a checkpoint's writes and fsyncs.
//
// Why: with synchronous=normal a commit writes the WAL without an fsync, but SQLite's automatic
// checkpoint runs inside the commit that crosses its threshold: it copies the WAL's pages into the
// main file and fsyncs both, on the request path. During a 1M-file snapshot Fusion's main thread
// spent 0.24–0.9 s blocked on that I/O (delay accounting, docs/benchmarks.md "P3, fourth pass"),
// more on a busy disk. Here a worker with its own connection runs PASSIVE checkpoints (they take no
// writer lock and never block a commit) while the WAL grows. The committing connection keeps its
// own automatic checkpoint at a larger size (database.ts WAL_BACKSTOP_BYTES): under continuous
// commits a PASSIVE checkpoint never finds every frame copied, so only that one lets the WAL start
// over — and it finds almost everything already copied. If the worker fails, the committing
// connection checkpoints every 32 MiB again, as without it.

import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** Longest stop() waits for the worker to close its connection (a checkpoint in progress finishes first). */
const STOP_WAIT_MS = 5_000;

/** Worker states in the shared flag: running (or booting), its connection closed, or it failed (no connection). */
const W_RUNNING = 0;
const W_CLOSED = 1;
const W_FAILED = 2;

// CommonJS: eval workers run as scripts. One message = "the WAL grew, checkpoint if due"; 'stop' closes.
// The shared flag tells a main thread blocked in stop() that the connection is gone, whatever happened.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const state = new Int32Array(workerData.state);
const settle = (v) => {
  Atomics.store(state, 0, v);
  Atomics.notify(state, 0);
};
let db = null;
try {
  const Database = require(workerData.driver);
  db = new Database(workerData.path, { timeout: 0 });
} catch (err) {
  settle(${W_FAILED});
  throw err;
}
parentPort.on('message', (m) => {
  if (m === 'stop') {
    try {
      db.close();
      settle(${W_CLOSED});
    } catch {
      settle(${W_FAILED});
    }
    parentPort.close();
    return;
  }
  const t0 = performance.now();
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed, ms: performance.now() - t0 });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err), code: err && err.code });
  }
});
`;

interface CheckpointReply {
  ok: boolean;
  busy?: number;
  log?: number;
  checkpointed?: number;
  ms?: number;
  error?: string;
  code?: string;
}

export interface WalCheckpointerOptions {
  /** better-sqlite3's resolved path: the worker must load the very library the committing connection uses (one SQLite per process keeps its file locks coherent). */
  driver: string;
  /** The WAL size at which the worker is started (smaller WALs are left to SQLite; most tests never get there). */
  startBytes: number;
  /** Least time between two checkpoints. */
  intervalMs: number;
  /** The worker failed: the caller hands checkpoints back to the committing connection. */
  onFailure(reason: string): void;
}

/** Lock contention a later checkpoint may not meet (SQLITE_BUSY_RECOVERY and the like): not a failure. */
const TRANSIENT = /^SQLITE_(BUSY|LOCKED)/;
/** Transient errors in a row after which the worker counts as failed. */
const MAX_TRANSIENT = 20;

export class WalCheckpointer {
  /** The WAL size at which a store starts its worker (open-view-store.ts). Tests lower it. */
  static defaultStartBytes = 8 * 1024 * 1024;
  readonly #path: string;
  readonly #o: WalCheckpointerOptions;
  #worker: Worker | null = null;
  /** W_RUNNING / W_CLOSED / W_FAILED, set by the worker (stop() waits on it). */
  #state = new Int32Array(new SharedArrayBuffer(4));
  #inFlight = false;
  #last = 0;
  #stopped = false;
  #failed = false;
  #transient = 0;
  /** A nudge that came too soon or during a checkpoint: one more checkpoint is due when this fires. */
  #trailing: NodeJS.Timeout | null = null;
  /** A nudge came while a checkpoint ran. */
  #again = false;
  /** Checkpoints run and the last one's figures, for status and tests. */
  readonly stats = { checkpoints: 0, busy: 0, lastMs: 0, lastLogFrames: 0, lastCheckpointedFrames: 0 };
  /** How the last stop() ended: the worker closed its connection, had failed, was never started, or did not answer in time. */
  stopOutcome: 'closed' | 'failed' | 'not-started' | 'timed-out' | null = null;

  constructor(dbPath: string, opts: WalCheckpointerOptions) {
    this.#path = dbPath;
    this.#o = opts;
  }

  /** True once a started worker has closed its connection. */
  get workerClosed(): boolean {
    return Atomics.load(this.#state, 0) === W_CLOSED;
  }

  /** Whether the worker runs (it starts at the first nudge that finds the WAL at startBytes). */
  get running(): boolean {
    return this.#worker !== null && !this.#failed && !this.#stopped;
  }

  /**
   * After a commit: asks for a checkpoint when one is due and none is running, else makes sure one
   * follows (the last commit of a burst is not left uncopied). Never blocks on I/O beyond one stat.
   */
  nudge(): void {
    if (this.#stopped || this.#failed) return;
    if (this.#inFlight) {
      this.#again = true; // asked again when the running checkpoint answers
      return;
    }
    const wait = this.#o.intervalMs - (performance.now() - this.#last);
    if (wait > 0) {
      if (this.#trailing === null) {
        this.#trailing = setTimeout(() => {
          this.#trailing = null;
          this.nudge();
        }, wait);
        this.#trailing.unref();
      }
      return;
    }
    this.#last = performance.now();
    if (this.#worker === null) {
      let size = 0;
      try {
        size = statSync(`${this.#path}-wal`).size;
      } catch {
        return; // no WAL yet
      }
      if (size < this.#o.startBytes || !this.#start()) return;
    }
    this.#inFlight = true;
    this.#worker!.postMessage('checkpoint');
  }

  #start(): boolean {
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: this.#path, driver: this.#o.driver, state: this.#state.buffer } });
      w.unref();
      w.on('message', (m: CheckpointReply) => this.#reply(m));
      w.on('error', (err) => this.#fail(`checkpoint worker failed: ${err.message}`));
      w.on('exit', (code) => {
        if (!this.#stopped) this.#fail(`checkpoint worker exited (code ${code})`);
      });
      this.#worker = w;
      return true;
    } catch (err) {
      this.#fail(`checkpoint worker could not start: ${(err as Error).message}`);
      return false;
    }
  }

  #reply(m: CheckpointReply): void {
    this.#inFlight = false;
    if (!m.ok) {
      // Another checkpointer holding the lock (the committing connection's backstop) is no failure: next time.
      if (TRANSIENT.test(m.code ?? '') && ++this.#transient < MAX_TRANSIENT) {
        this.stats.busy++;
        this.#again = false;
        this.nudge(); // at the next interval
        return;
      }
      this.#fail(`checkpoint failed: ${m.error} (${m.code})`);
      return;
    }
    this.#transient = 0;
    this.stats.checkpoints++;
    this.stats.lastMs = m.ms ?? 0;
    this.stats.lastLogFrames = m.log ?? 0;
    this.stats.lastCheckpointedFrames = m.checkpointed ?? 0;
    if (m.busy) this.stats.busy++;
    if (this.#again) {
      this.#again = false;
      this.nudge();
    }
  }

  /** Off for good: the worker is asked to close its connection (stop() still waits for that), the caller told once. */
  #fail(reason: string): void {
    if (this.#failed || this.#stopped) return;
    this.#failed = true;
    this.#clearTrailing();
    this.#worker?.postMessage('stop');
    this.#o.onFailure(reason);
  }

  #clearTrailing(): void {
    if (this.#trailing !== null) clearTimeout(this.#trailing);
    this.#trailing = null;
  }

  /**
   * Stops the worker and returns once its connection is closed (after a checkpoint it may be running,
   * at most STOP_WAIT_MS), so the caller's close is the last one: a store closed and its directory
   * removed, or the file reopened, never meets a connection still open in the worker.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#clearTrailing();
    const w = this.#worker;
    this.#worker = null;
    if (w === null) {
      this.stopOutcome = 'not-started';
      return;
    }
    w.postMessage('stop');
    const waited = Atomics.wait(this.#state, 0, W_RUNNING, STOP_WAIT_MS);
    const s = Atomics.load(this.#state, 0);
    this.stopOutcome = s === W_CLOSED ? 'closed' : s === W_FAILED ? 'failed' : waited === 'timed-out' ? 'timed-out' : 'failed';
    void w.terminate();
  }
}
