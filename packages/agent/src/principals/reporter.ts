// Collects the uids/gids of outgoing events and tells Fusion their names (consumers.md §1), off the event path.
//
// observe() runs for every outgoing batch, so it only remembers ids it has not seen (a Set check per
// event); names are looked up and posted later, at most every `intervalMs`. Each new session gets
// the full known map once, then only newly learned names. A failed post is logged and retried
// with the next batch: names are a convenience, never a reason to slow or stop the pipe.

import { LISTING_HEAD, MAX_PRINCIPALS, R_GID, R_UID, ROW_WIDTH, type FileEvent, type Listing, type Logger, type PackedRows, type PrincipalsRequest } from '@fustor/protocol';
import { FusionError, SessionExpiredError } from '../errors.js';
import { PrincipalResolver, type PrincipalDb } from './resolver.js';

export interface PrincipalsReporterOptions {
  resolver: PrincipalResolver;
  send(sessionId: string, body: PrincipalsRequest, signal: AbortSignal): Promise<void>;
  error(err: unknown, context: string): void;
  log: Logger;
  /** Least time between two posts; default 1000 ms. */
  intervalMs?: number;
  /** Longest wait before retrying after failures; default 60 s. */
  maxRetryMs?: number;
}

type Names = Map<number, string>;

export class PrincipalsReporter {
  readonly #o: PrincipalsReporterOptions;
  readonly #interval: number;
  readonly #seen: Record<PrincipalDb, Set<number>> = { passwd: new Set(), group: new Set() };
  /** Seen and not answered yet (new, or their lookup failed). */
  readonly #pending: Record<PrincipalDb, Set<number>> = { passwd: new Set(), group: new Set() };
  readonly #known: Record<PrincipalDb, Names> = { passwd: new Map(), group: new Map() };
  /** Learned and not yet accepted by the current session. */
  readonly #unsent: Record<PrincipalDb, Names> = { passwd: new Map(), group: new Map() };
  /** unsupported: this Fusion has no principals route (an older version): nothing more is posted to it. */
  #session: { id: string; signal: AbortSignal; fullDue: boolean; unsupported: boolean } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<unknown> | null = null;
  #lastFlush = 0;
  #failures = 0;
  #closed = false;
  #lastUid = -1;
  #lastGid = -1;

  constructor(opts: PrincipalsReporterOptions) {
    this.#o = opts;
    this.#interval = opts.intervalMs ?? 1000;
  }

  /** Called with every outgoing batch: remembers ids never seen before. */
  observe(events: readonly FileEvent[]): void {
    let fresh = false;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.op !== 'upsert') continue;
      if (this.#owner(e.uid, e.gid)) fresh = true;
    }
    if (fresh) this.#schedule();
  }

  /** observe() for a scan chunk sent as listings (the directories' own entries and their rows). */
  observeListings(listings: readonly Listing[], packed?: ReadonlyMap<Listing, PackedRows>): void {
    let fresh = false;
    for (const l of listings) {
      const self = l[3];
      if (self !== null && this.#owner(self[2] ?? undefined, self[3] ?? undefined)) fresh = true;
      for (let i = LISTING_HEAD; i < l.length; i += ROW_WIDTH) {
        if (this.#owner((l[i + R_UID] as number | null) ?? undefined, (l[i + R_GID] as number | null) ?? undefined)) fresh = true;
      }
      // Packed rows (ScanChunk.packed) come with their distinct owners.
      const owners = packed?.get(l)?.owners;
      if (owners !== undefined) for (let i = 0; i < owners.length; i += 2) if (this.#owner(owners[i], owners[i + 1])) fresh = true;
    }
    if (fresh) this.#schedule();
  }

  /** Remembers a uid/gid pair; true when either was never seen. Runs of one owner are the rule: the last ids short-circuit the Set lookups. */
  #owner(u: number | undefined, g: number | undefined): boolean {
    let fresh = false;
    if (u !== undefined && u !== this.#lastUid) {
      this.#lastUid = u;
      if (!this.#seen.passwd.has(u)) fresh = this.#add('passwd', u);
    }
    if (g !== undefined && g !== this.#lastGid) {
      this.#lastGid = g;
      if (!this.#seen.group.has(g)) fresh = this.#add('group', g) || fresh;
    }
    return fresh;
  }

  /** A session opened: it gets every known name once (then the new ones), until its signal fires. */
  sessionOpened(sessionId: string, signal: AbortSignal): void {
    this.#session = { id: sessionId, signal, fullDue: true, unsupported: false };
    // A new session is worth trying at once, whatever backoff the previous one was in.
    this.#failures = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // Names believed unknown may have appeared since: ask again (cached answers cost nothing).
    for (const db of ['passwd', 'group'] as const) for (const id of this.#seen[db]) if (!this.#known[db].has(id)) this.#pending[db].add(id);
    this.#schedule();
  }

  /** Names learned so far (status and tests). */
  known(db: PrincipalDb): ReadonlyMap<number, string> {
    return this.#known[db];
  }

  /** Stops timers; an in-flight post ends with its session's signal. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #add(db: PrincipalDb, id: number): true {
    this.#seen[db].add(id);
    this.#pending[db].add(id);
    return true;
  }

  #schedule(delayMs?: number): void {
    // While a flush runs, its end looks for more work: one flush at a time, one timer at a time.
    if (this.#closed || this.#timer || this.#flushing) return;
    const wait = delayMs ?? Math.max(0, this.#lastFlush + this.#interval - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#flushing = this.#flush()
        .then((ok) => (this.#failures = ok ? 0 : this.#failures + 1))
        .catch((err) => {
          this.#failures++;
          this.#o.error(err, 'resolving owner and group names');
        })
        .finally(() => {
          this.#flushing = null;
          if (this.#failures > 0) this.#schedule(this.#retryDelay());
          else if (this.#due()) this.#schedule();
        });
    }, wait);
    this.#timer.unref();
  }

  #due(): boolean {
    const s = this.#session;
    const live = s !== null && !s.signal.aborted && !s.unsupported;
    return this.#pending.passwd.size + this.#pending.group.size > 0
      || (live && (s.fullDue || this.#unsent.passwd.size + this.#unsent.group.size > 0));
  }

  #retryDelay(): number {
    return Math.min(this.#o.maxRetryMs ?? 60_000, this.#interval * 2 ** Math.min(this.#failures, 10));
  }

  /** Looks up pending ids, then posts what the current session lacks. False when something must be retried. */
  async #flush(): Promise<boolean> {
    this.#lastFlush = Date.now();
    const resolved = await Promise.all([this.#resolve('passwd'), this.#resolve('group')]);
    const lookupsOk = resolved[0] && resolved[1];
    const s = this.#session;
    if (s === null || s.signal.aborted || s.unsupported) return lookupsOk; // the next session gets the full map
    const users = new Map(s.fullDue ? this.#known.passwd : this.#unsent.passwd);
    const groups = new Map(s.fullDue ? this.#known.group : this.#unsent.group);
    if (users.size + groups.size > 0) {
      try {
        for (const body of bodies(users, groups)) await this.#o.send(s.id, body, s.signal);
      } catch (err) {
        // A gone session is the pipe's business (it opens a new one, which gets the full map).
        if (s.signal.aborted || err instanceof SessionExpiredError) return lookupsOk;
        if (err instanceof FusionError && err.status === 404) {
          // An older Fusion without the route: say so once per session instead of retrying forever.
          s.unsupported = true;
          this.#o.log.info('Fusion does not accept owner/group names (no principals route); not sending them in this session', { session_id: s.id });
          return lookupsOk;
        }
        this.#o.error(err, 'sending owner and group names to Fusion (retried with the next batch)');
        return false;
      }
    }
    s.fullDue = false;
    for (const [db, sent] of [['passwd', users], ['group', groups]] as const) {
      for (const [id, name] of sent) if (this.#unsent[db].get(id) === name) this.#unsent[db].delete(id);
    }
    return lookupsOk;
  }

  /** True when every pending id got an answer (a name or "no such id"). */
  async #resolve(db: PrincipalDb): Promise<boolean> {
    const ids = [...this.#pending[db]];
    if (ids.length === 0) return true;
    const r = this.#o.resolver;
    await r.lookup(db, ids);
    let all = true;
    for (const id of ids) {
      const name = r.nameOf(db, id);
      if (name === undefined) {
        all = false; // the lookup failed: stays pending
        continue;
      }
      this.#pending[db].delete(id);
      if (name !== null && this.#known[db].get(id) !== name) {
        this.#known[db].set(id, name);
        this.#unsent[db].set(id, name);
      }
    }
    return all;
  }
}

/** The maps as request bodies of at most MAX_PRINCIPALS entries each. */
function* bodies(users: Names, groups: Names): Generator<PrincipalsRequest> {
  const u = [...users].map(([id, name]) => [String(id), name] as const);
  const g = [...groups].map(([id, name]) => [String(id), name] as const);
  for (let i = 0; i < Math.max(u.length, g.length); i += MAX_PRINCIPALS) {
    const body: PrincipalsRequest = {};
    const us = u.slice(i, i + MAX_PRINCIPALS);
    const gs = g.slice(i, i + MAX_PRINCIPALS);
    if (us.length > 0) body.users = Object.fromEntries(us);
    if (gs.length > 0) body.groups = Object.fromEntries(gs);
    yield body;
  }
}

let shared: PrincipalResolver | null = null;

/** What a pipe may be given for its reporter (tests: a scripted resolver, short intervals). */
export interface PrincipalsDeps {
  resolver?: PrincipalResolver;
  intervalMs?: number;
  maxRetryMs?: number;
}

/** The reporter of one pipe; pipes share one resolver (one cache, one bound on getent processes) unless given theirs. */
export function principalsReporter(
  sender: { postPrincipals(sessionId: string, body: PrincipalsRequest, signal?: AbortSignal): Promise<void> },
  deps: PrincipalsDeps | undefined,
  log: Logger,
  error: (err: unknown, context: string) => void,
): PrincipalsReporter {
  return new PrincipalsReporter({
    ...deps,
    log,
    resolver: deps?.resolver ?? (shared ??= new PrincipalResolver()),
    send: (sid, body, signal) => sender.postPrincipals(sid, body, signal),
    error,
  });
}
