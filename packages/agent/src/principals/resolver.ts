// uid/gid → user/group names as the system's database answers (`getent`), cached, off the event path.
//
// Why getent and not /etc/passwd: on the machines that mount shared storage, owners usually live in
// LDAP/SSSD/NIS, which only NSS (and so getent) sees. getent runs asynchronously with many ids per
// call and few calls at once; when it is missing (minimal containers) the files are read instead.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export type PrincipalDb = 'passwd' | 'group';

/** Runs a command; resolves with its output and exit code, rejects when it cannot run (ENOENT) or times out. */
export type CommandRunner = (cmd: string, args: readonly string[]) => Promise<{ stdout: string; code: number }>;

export interface ResolverOptions {
  run?: CommandRunner;
  /** Reads /etc/passwd or /etc/group for the fallback; default fs.readFile. */
  readText?: (path: string) => Promise<string>;
  /** Ids per getent call; default 64 (one process for a directory's worth of owners). */
  idsPerCall?: number;
  /** getent processes at once; default 2. */
  concurrency?: number;
  /** How long "no such id" is believed before asking again; default 15 min. */
  unknownTtlMs?: number;
  now?: () => number;
}

const FILES: Record<PrincipalDb, string> = { passwd: '/etc/passwd', group: '/etc/group' };
const RUN_TIMEOUT_MS = 10_000;

/** Default runner: getent's exit code 2 ("some keys not found") still carries the found lines. */
export const execRunner: CommandRunner = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: RUN_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' }, (err, stdout) => {
      if (!err) return resolve({ stdout, code: 0 });
      const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
      if (typeof e.code === 'number' && !e.killed) return resolve({ stdout, code: e.code });
      reject(err);
    });
  });

/** `name:x:id:...` lines (passwd and group share the first three fields) → id → first name. */
export function parseDb(text: string, wanted?: ReadonlySet<number>): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':', 4);
    if (f.length < 3 || f[0] === '' || !/^\d+$/.test(f[2]!)) continue;
    const id = Number(f[2]);
    if ((wanted === undefined || wanted.has(id)) && !out.has(id)) out.set(id, f[0]!);
  }
  return out;
}

export class PrincipalResolver {
  readonly #run: CommandRunner;
  readonly #readText: (path: string) => Promise<string>;
  readonly #perCall: number;
  readonly #ttl: number;
  readonly #now: () => number;
  /** Names found; null = the database has no such id (until `#unknownUntil`). */
  readonly #cache: Record<PrincipalDb, Map<number, string | null>> = { passwd: new Map(), group: new Map() };
  readonly #unknownUntil: Record<PrincipalDb, Map<number, number>> = { passwd: new Map(), group: new Map() };
  #getentMissing = false;
  #slots: number;
  #waiting: Array<() => void> = [];

  constructor(opts: ResolverOptions = {}) {
    this.#run = opts.run ?? execRunner;
    this.#readText = opts.readText ?? ((p) => readFile(p, 'utf8'));
    this.#perCall = Math.max(1, opts.idsPerCall ?? 64);
    this.#slots = Math.max(1, opts.concurrency ?? 2);
    this.#ttl = opts.unknownTtlMs ?? 15 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** True once getent turned out to be absent (the files answer instead). */
  get usingFiles(): boolean {
    return this.#getentMissing;
  }

  /**
   * The cached answer: a name, null (no such id), or undefined (never asked, expired, or the last
   * lookup failed: ask again).
   */
  nameOf(db: PrincipalDb, id: number): string | null | undefined {
    const v = this.#cache[db].get(id);
    if (v === null && (this.#unknownUntil[db].get(id) ?? 0) <= this.#now()) return undefined;
    return v;
  }

  /** Looks up the ids not answered yet; never rejects (a failed lookup leaves its ids unanswered). */
  async lookup(db: PrincipalDb, ids: Iterable<number>): Promise<void> {
    const todo = [...new Set(ids)].filter((id) => this.nameOf(db, id) === undefined);
    const chunks: number[][] = [];
    for (let i = 0; i < todo.length; i += this.#perCall) chunks.push(todo.slice(i, i + this.#perCall));
    await Promise.all(chunks.map((c) => this.#limited(() => this.#lookupChunk(db, c))));
  }

  async #lookupChunk(db: PrincipalDb, ids: number[]): Promise<void> {
    let found: Map<number, string>;
    try {
      found = this.#getentMissing ? await this.#fromFile(db, ids) : await this.#fromGetent(db, ids);
    } catch {
      return; // neither getent nor the file answered: nothing is cached, the next lookup asks again
    }
    const until = this.#now() + this.#ttl;
    for (const id of ids) {
      const name = found.get(id);
      this.#cache[db].set(id, name ?? null);
      if (name === undefined) this.#unknownUntil[db].set(id, until);
      else this.#unknownUntil[db].delete(id);
    }
  }

  async #fromGetent(db: PrincipalDb, ids: number[]): Promise<Map<number, string>> {
    let r: { stdout: string; code: number };
    try {
      r = await this.#run('getent', [db, ...ids.map(String)]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.#getentMissing = true;
      return this.#fromFile(db, ids);
    }
    // 0: all found; 2: some not found. Anything else (1 bad database, 3 no enumeration) is a failure.
    if (r.code !== 0 && r.code !== 2) throw new Error(`getent ${db} exited with ${r.code}`);
    return parseDb(r.stdout, new Set(ids));
  }

  async #fromFile(db: PrincipalDb, ids: number[]): Promise<Map<number, string>> {
    // Read at each lookup (small files, at most about once a second): a user added later is seen.
    return parseDb(await this.#readText(FILES[db]), new Set(ids));
  }

  async #limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#slots === 0) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#slots--;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#slots++;
    }
  }
}
