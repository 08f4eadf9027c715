// The file calls the spool makes, as one seam: tests inject ENOSPC/EIO without filling a real disk.

import * as fs from 'node:fs';

export interface SpoolFs {
  mkdirSync(path: string, opts: { recursive: true }): unknown;
  readdirSync(path: string): string[];
  readFileSync(path: string, encoding: 'utf8'): string;
  statSync(path: string): { size: number };
  openSync(path: string, flags: 'a'): number;
  writeSync(fd: number, text: string): number;
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, len: number): void;
  closeSync(fd: number): void;
  rmSync(path: string, opts: { force: true }): void;
}

export const nodeSpoolFs: SpoolFs = {
  mkdirSync: (p, o) => fs.mkdirSync(p, o),
  readdirSync: (p) => fs.readdirSync(p),
  readFileSync: (p, e) => fs.readFileSync(p, e),
  statSync: (p) => fs.statSync(p),
  openSync: (p, f) => fs.openSync(p, f),
  writeSync: (fd, t) => fs.writeSync(fd, t),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  ftruncateSync: (fd, len) => fs.ftruncateSync(fd, len),
  closeSync: (fd) => fs.closeSync(fd),
  rmSync: (p, o) => fs.rmSync(p, o),
};

/** The errno code of a failed file call (ENOSPC, EIO, EACCES…), or the message when there is none. */
export function errnoOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}
