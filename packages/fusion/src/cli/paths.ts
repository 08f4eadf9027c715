// Files Fusion keeps in FUSTOR_HOME: pid, port (the actual listening port, also for --port 0), log.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HomeFiles {
  home: string;
  pid: string;
  port: string;
  log: string;
}

export function homeFiles(home: string): HomeFiles {
  return { home, pid: join(home, 'fusion.pid'), port: join(home, 'fusion.port'), log: join(home, 'logs', 'fusion.log') };
}

export function writePortFile(path: string, port: number): void {
  writeFileSync(path, `${port}\n`);
}

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
