// On-demand scans of one pipe, a few walks at a time (p-queue): each walk holds a directory walk and
// its look-ahead, so 50 `force_real_time` queries must not become 50 concurrent walks. A slot is held
// while the walk produces; its last batches drain and its commands are answered after it freed the
// slot, so the next walk overlaps that tail. A command for a path that a queued (not yet started)
// scan already covers joins that scan; a recursive command over queued scans of its descendants takes
// the place of the first and absorbs the rest. A scan that already started is never joined: it may
// have passed the directory before the command was sent.

import PQueue from 'p-queue';
import { isWithin, normalizeViewPath } from '@fustor/protocol';

export interface ScanRequest {
  id: string;
  path: string;
  recursive: boolean;
}

/** ok=false carries the error each command is answered with. */
export interface ScanResult {
  ok: boolean;
  error: string | null;
}

/** A walk that has produced all its batches; `delivered` settles once Fusion accepted them (null: session gone). */
export interface WalkDone {
  delivered: Promise<ScanResult | null>;
}

/** The session a request arrived on: runs the walk and answers the command ids. */
export interface ScanRunner {
  readonly signal: AbortSignal;
  /** One walk whose batches carry `commandId`; resolves when the walk has produced everything. */
  walk(path: string, recursive: boolean, commandId: string): Promise<WalkDone>;
  /** Answers every id of a walk, after its events were delivered. */
  answer(ids: readonly string[], result: ScanResult): Promise<void>;
}

interface Job {
  path: string;
  recursive: boolean;
  ids: string[];
  runner: ScanRunner;
  /** Absorbed by a recursive scan of an ancestor: its ids moved there. */
  merged: boolean;
  /** False for a path that does not normalize: it gets its own walk, which answers the error. */
  joinable: boolean;
}

export interface ScanQueueStats {
  queued: number;
  running: number;
  /** Walks saved: commands answered by another command's walk. */
  coalesced: number;
}

export const DEFAULT_SCAN_CONCURRENCY = 2;

export class ScanQueue {
  readonly #q: PQueue;
  /** Jobs waiting for a slot, in arrival order. */
  #waiting: Job[] = [];
  #coalesced = 0;

  constructor(concurrency = DEFAULT_SCAN_CONCURRENCY) {
    this.#q = new PQueue({ concurrency: Math.max(1, concurrency) });
  }

  stats(): ScanQueueStats {
    return { queued: this.#waiting.length, running: this.#q.pending, coalesced: this.#coalesced };
  }

  /** Queues (or coalesces) one scan command; resolves once the walk that answers it is done or abandoned. */
  submit(req: ScanRequest, runner: ScanRunner): Promise<void> {
    const path = normalized(req.path);
    if (path !== null) {
      const joined = this.#join(path, req, runner);
      if (joined) return joined;
    }
    const job: Job = { path: path ?? req.path, recursive: req.recursive, ids: [req.id], runner, merged: false, joinable: path !== null };
    this.#waiting.push(job);
    return this.#q
      .add(() => this.#walk(job), { signal: runner.signal })
      .then(async (walked) => {
        const result = await walked?.delivered;
        if (result) await runner.answer(job.ids, result);
      })
      .catch(() => {
        // Aborted while queued (session ended): Fusion fails the command with the session.
        this.#waiting = this.#waiting.filter((j) => j !== job);
      });
  }

  /** Attaches the request to a waiting job of the same session that covers it, or that it covers. */
  #join(path: string, req: ScanRequest, runner: ScanRunner): Promise<void> | null {
    const mine = this.#waiting.filter((j) => j.runner === runner && j.joinable);
    const cover = mine.find((j) => (j.path === path && (j.recursive || !req.recursive)) || (j.recursive && isWithin(path, j.path)));
    if (cover) {
      cover.ids.push(req.id);
      this.#coalesced++;
      return Promise.resolve();
    }
    if (!req.recursive) return null;
    const under = mine.filter((j) => isWithin(j.path, path));
    if (under.length === 0) return null;
    const [first, ...rest] = under;
    first!.path = path;
    first!.recursive = true;
    first!.ids.push(req.id);
    for (const j of rest) {
      first!.ids.push(...j.ids);
      j.merged = true;
      j.ids = [];
    }
    this.#waiting = this.#waiting.filter((j) => !j.merged);
    this.#coalesced += under.length; // this request, and the walks of the absorbed jobs after the first
    return Promise.resolve();
  }

  /** Holds the slot while the walk produces; null for a job absorbed by another (its ids answered there). */
  async #walk(job: Job): Promise<WalkDone | null> {
    this.#waiting = this.#waiting.filter((j) => j !== job);
    if (job.merged || job.runner.signal.aborted) return null;
    return job.runner.walk(job.path, job.recursive, job.ids[0]!);
  }
}

function normalized(path: string): string | null {
  try {
    return normalizeViewPath(path);
  } catch {
    return null;
  }
}
