// Errors the fs source driver throws to its caller; everything else is reported through events.issue.

/** Stable codes so the agent can map them without parsing messages. */
export const SOURCE_ERROR_CODES = {
  root: 'SOURCE_ROOT',
  outsideRoot: 'OUTSIDE_ROOT',
  options: 'SOURCE_OPTIONS',
  notStarted: 'SOURCE_NOT_STARTED',
} as const;

/** The watched root is missing, not a directory or unreadable: the only fatal scan failure. */
export class SourceRootError extends Error {
  readonly code = SOURCE_ERROR_CODES.root;
  readonly path: string;
  readonly errno?: string;
  constructor(path: string, reason: string, errno?: string) {
    super(`source root '${path}' ${reason}; check the pipe's source uri and that the agent can read it`);
    this.name = 'SourceRootError';
    this.path = path;
    this.errno = errno;
  }
}

/** An on-demand scan path or sentinel path that resolves outside the watched root. */
export class OutsideRootError extends Error {
  readonly code = SOURCE_ERROR_CODES.outsideRoot;
  readonly viewPath: string;
  constructor(viewPath: string, why: string) {
    super(`path '${viewPath}' ${why}; only paths inside the watched root may be scanned`);
    this.name = 'OutsideRootError';
    this.viewPath = viewPath;
  }
}

/** Invalid driver options (driver_params); names the key and how to fix it. */
export class SourceOptionsError extends Error {
  readonly code = SOURCE_ERROR_CODES.options;
  readonly key: string;
  constructor(key: string, problem: string) {
    super(`driver option '${key}' ${problem}`);
    this.name = 'SourceOptionsError';
    this.key = key;
  }
}

/** A method that needs start() was called before it. */
export class SourceNotStartedError extends Error {
  readonly code = SOURCE_ERROR_CODES.notStarted;
  constructor(method: string) {
    super(`FsSource.${method}() called before start(); await start() first`);
    this.name = 'SourceNotStartedError';
  }
}
