// Reports each (kind, path) problem once through events.issue; the driver itself never logs.

import type { SourceIssue, SourceIssueKind, SourceEventHandlers } from './types.js';
import { showLocal, type LocalPath } from './fs-layer.js';

/** Cap on remembered (kind, path) pairs so a pathological tree cannot grow this set without bound. */
const MAX_REMEMBERED = 100_000;

export function issueKindOf(code: string | undefined): SourceIssueKind {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission_denied';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'vanished';
    case 'ELOOP':
      return 'symlink_loop';
    case 'ENAMETOOLONG':
      return 'name_too_long';
    case 'EMFILE':
    case 'ENFILE':
      return 'too_many_open_files';
    case 'ENOSPC':
      return 'watch_limit';
    default:
      return 'io_error';
  }
}

export class IssueReporter {
  #handlers: SourceEventHandlers | undefined;
  #seen = new Set<string>();
  #count = 0;

  constructor(handlers: SourceEventHandlers | undefined) {
    this.#handlers = handlers;
  }

  /** Number of issues reported (deduplicated) since creation. */
  get count(): number {
    return this.#count;
  }

  report(kind: SourceIssueKind, path: LocalPath, message: string, code?: string): void {
    const shown = showLocal(path);
    const key = kind + '\0' + shown;
    if (this.#seen.has(key)) return;
    if (this.#seen.size >= MAX_REMEMBERED) this.#seen.clear();
    this.#seen.add(key);
    this.#count++;
    const issue: SourceIssue = { kind, path: shown, message };
    if (code !== undefined) issue.code = code;
    try {
      this.#handlers?.issue?.(issue);
    } catch {
      // A throwing hook must not break a scan: the driver has no one else to tell.
    }
  }

  /** Lets a cause that was resolved (the root came back) be reported again if it recurs. */
  forget(kind: SourceIssueKind, path: LocalPath): void {
    this.#seen.delete(kind + '\0' + showLocal(path));
  }

  /** Reports an errno failure on a path with the matching kind. */
  fromError(err: unknown, path: LocalPath, doing: string): SourceIssueKind {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    const kind = issueKindOf(code);
    const msg = err instanceof Error ? err.message : String(err);
    this.report(kind, path, `${doing}: ${msg}`, code);
    return kind;
  }
}
