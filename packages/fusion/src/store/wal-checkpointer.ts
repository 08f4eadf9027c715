// Copies fusion.db's WAL into the main file from a worker thread, so commits never wait on a checkpoint's writes and fsyncs.
//
// Why: with synchronous=normal a commit writes the WAL without an fsync, but SQLite's automatic
// checkpoint runs inside the commit that crosses its threshold: it copies the WAL's pages into the
// main file and fsyncs both, on the request path. During a 1M-file snapshot Fusion's main thread
// spent 0.24–0.9 s blocked on that I/O (delay accounting, docs/benchmarks.md "P3, fourth pass"),
// more on a busy disk. Here a worker with its own connection runs PASSIVE checkpoints (they take no
// writer lock and never block a commit) while the WAL grows; the main connection's own automatic
// checkpoint stays as a backstop at a larger size (database.ts) and takes over if the worker fails.

import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const requireHere = createRequire(import.meta.url);
/** Longest stop() waits for the worker to close its connection (a checkpoint in progress finishes first). */
const STOP_WAIT_MS = 5_000;

// CommonJS: eval workers run as scripts. One message = "the WAL grew, checkpoint if due".
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0 });
const closed = new Int32Array(workerData.closed);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    db.close();
    Atomics.store(closed, 0, 1);
    Atomics.notify(closed, 0);
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
  /** The WAL size at which the worker is started (smaller WALs are left to SQLite; most tests never get there). */
  startBytes: number;
  /** Least time between two checkpoints. */
  intervalMs: number;
  /** The worker failed: the caller hands checkpoints back to the main connection. */
  onFailure(reason: string): void;
}

export class WalCheckpointer {
  /** The WAL size at which a store starts its worker (open-view-store.ts). Tests lower it. */
  static defaultStartBytes = 8 * 1024 * 1024;
  readonly #path: string;
  readonly #o: WalCheckpointerOptions;
  #worker: Worker | null = null;
  /** Set to 1 by the worker once its connection is closed (stop() waits for it). */
  #closed = new Int32Array(new SharedArrayBuffer(4));
  #inFlight = false;
  #last = 0;
  #stopped = false;
  #failed = false;
  /** Checkpoints run and the last one's figures, for status and tests. */
  readonly stats = { checkpoints: 0, busy: 0, lastMs: 0, lastLogFrames: 0, lastCheckpointedFrames: 0 };

  constructor(dbPath: string, opts: WalCheckpointerOptions) {
    this.#path = dbPath;
    this.#o = opts;
  }

  /** True once a started worker has closed its connection (stop() returns only then). */
  get workerClosed(): boolean {
    return Atomics.load(this.#closed, 0) === 1;
  }

  /** Whether the worker runs (it starts at the first nudge that finds the WAL at startBytes). */
  get running(): boolean {
    return this.#worker !== null;
  }

  /** After a commit: asks for a checkpoint when one is due and none is running. Never blocks on I/O beyond one stat. */
  nudge(): void {
    if (this.#stopped || this.#failed || this.#inFlight) return;
    const now = performance.now();
    if (now - this.#last < this.#o.intervalMs) return;
    this.#last = now;
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
      const w = new Worker(WORKER_SOURCE, {
        eval: true, workerData: { path: this.#path, driver: requireHere.resolve('better-sqlite3'), closed: this.#closed.buffer },
      });
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
      // Another checkpointer holding the lock (the main connection's backstop) is no failure: next time.
      if (m.code === 'SQLITE_BUSY' || m.code === 'SQLITE_LOCKED') {
        this.stats.busy++;
        return;
      }
      this.#fail(`checkpoint failed: ${m.error}`);
      return;
    }
    this.stats.checkpoints++;
    this.stats.lastMs = m.ms ?? 0;
    this.stats.lastLogFrames = m.log ?? 0;
    this.stats.lastCheckpointedFrames = m.checkpointed ?? 0;
    if (m.busy) this.stats.busy++;
  }

  #fail(reason: string): void {
    if (this.#failed || this.#stopped) return;
    this.#failed = true;
    const w = this.#worker;
    this.#worker = null;
    void w?.terminate();
    this.#o.onFailure(reason);
  }

  /**
   * Stops the worker and returns once its connection is closed (after a checkpoint it may be running,
   * at most STOP_WAIT_MS), so the caller's close is the last one: a store closed and its directory
   * removed, or the file reopened, never meets a connection still open in the worker.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const w = this.#worker;
    this.#worker = null;
    if (w === null) return;
    w.postMessage('stop');
    Atomics.wait(this.#closed, 0, 0, STOP_WAIT_MS);
    void w.terminate();
  }
}
