// Files Fusion keeps in FUSTOR_HOME: pid, port (the actual listening port, also for --port 0), log.

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

export { readPortFile, removePortFile, writePortFile } from '@fustor/protocol';
