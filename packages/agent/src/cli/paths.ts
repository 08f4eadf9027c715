// Files the agent keeps in FUSTOR_HOME: pid, console port (actual port, also for port 0), log, state.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AgentFiles {
  home: string;
  pid: string;
  /** The console's actual listening port, one number per line; written once it listens. */
  port: string;
  log: string;
  state: string;
}

export function agentFiles(home: string): AgentFiles {
  return {
    home,
    pid: join(home, 'agent.pid'),
    port: join(home, 'agent.port'),
    log: join(home, 'logs', 'agent.log'),
    state: join(home, 'agent-state'),
  };
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
