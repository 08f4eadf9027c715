// One config problem: where (key path), what is wrong, and how to fix it; and the ConfigError both daemons throw.

/** Joins problem and fix inside a zod issue message; the formatter splits them again. */
const SEP = '\u001f';

export function configProblem(what: string, fix: string): string {
  return `${what}${SEP}${fix}`;
}

export function splitConfigProblem(message: string): { problem: string; fix: string } {
  const i = message.indexOf(SEP);
  return i < 0 ? { problem: message, fix: '' } : { problem: message.slice(0, i), fix: message.slice(i + SEP.length) };
}

/** A problem in a config file: names the file, the key path and the fix — "file: key.path: problem; fix". */
export class ConfigError extends Error {
  readonly code = 'E_CONFIG';
  readonly file: string;
  readonly keyPath: string;
  readonly problem: string;
  readonly fix: string;
  constructor(file: string, keyPath: string, what: string, fix = '') {
    super(`${file}: ${keyPath ? `${keyPath}: ` : ''}${what}${fix ? `; ${fix}` : ''}`);
    this.name = 'ConfigError';
    this.file = file;
    this.keyPath = keyPath;
    this.problem = what;
    this.fix = fix;
  }
}
