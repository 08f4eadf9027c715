// Port files: a daemon writes the port it actually listens on (also for port 0) so CLIs and tests can find it.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export function writePortFile(path: string, port: number): void {
  writeFileSync(path, `${port}\n`);
}

/** The port recorded in `path`, or null when the file is missing or does not hold a port. */
export function readPortFile(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

export function removePortFile(path: string): void {
  rmSync(path, { force: true });
}
