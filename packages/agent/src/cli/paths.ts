// Files the agent keeps in FUSTOR_HOME: pid, console port (actual port, also for port 0), log, state.

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

export { readPortFile, removePortFile, writePortFile } from '@fustor/protocol';
