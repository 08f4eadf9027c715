// In-memory directory-mtime cache for audits: unchanged directory → no readdir, no file stats (P9).

/** A subdirectory remembered by name: the local name (string or raw bytes) and its view segment. */
export interface CachedSubdir {
  name: string | Buffer;
  segment: string;
}

interface Entry {
  mtimeMs: number;
  subdirs: CachedSubdir[];
  generation: number;
}

/**
 * Directories modified this recently (storage clock) are never cached: a change within the same
 * mtime tick (1 s or 2 s granularity on some servers) would otherwise leave the mtime unchanged.
 */
export const HOT_DIR_MS = 2000;

export class AuditCache {
  #entries = new Map<string, Entry>();
  #generation = 0;

  get size(): number {
    return this.#entries.size;
  }

  /** Starts a new audit pass; entries not touched by a complete pass are pruned by endPass(). */
  beginPass(): void {
    this.#generation++;
  }

  /** The cached subdirectories when `view` still has the cached mtime, else undefined. */
  lookup(view: string, mtimeMs: number): CachedSubdir[] | undefined {
    const e = this.#entries.get(view);
    if (e === undefined || e.mtimeMs !== mtimeMs) return undefined;
    e.generation = this.#generation;
    return e.subdirs;
  }

  remember(view: string, mtimeMs: number, subdirs: CachedSubdir[]): void {
    this.#entries.set(view, { mtimeMs, subdirs, generation: this.#generation });
  }

  forget(view: string): void {
    this.#entries.delete(view);
  }

  /** After a complete audit: drop directories that no longer exist (not visited in this pass). */
  endPass(complete: boolean): void {
    if (!complete) return;
    for (const [k, e] of this.#entries) if (e.generation !== this.#generation) this.#entries.delete(k);
  }

  clear(): void {
    this.#entries.clear();
  }
}

