// One e2e test's universe: a temp dir, the processes it started, and their cleanup (log dump on failure).

import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { REPO_ROOT } from './paths.js';
import { ManagedProcess, tailOf } from './process.js';

export class World {
  readonly root: string;
  readonly logsDir: string;
  readonly #procs: ManagedProcess[] = [];
  readonly #pidFiles: string[] = [];
  #n = 0;

  private constructor(name: string) {
    this.root = mkdtempSync(join(tmpdir(), `fustor-e2e-${name}-`));
    this.logsDir = join(this.root, 'logs');
    mkdirSync(this.logsDir);
  }

  /** Creates the world and registers its teardown (log dump on failure, children killed, dir removed). */
  static create(name: string): World {
    const w = new World(name);
    onTestFinished(async (ctx) => {
      if (ctx.task.result?.state === 'fail') console.error(w.dumpLogs());
      await w.cleanup();
    });
    return w;
  }

  dir(name: string): string {
    const p = join(this.root, name);
    mkdirSync(p, { recursive: true });
    return p;
  }

  spawn(name: string, script: string, args: string[], env?: Record<string, string | undefined>): ManagedProcess {
    const logFile = join(this.logsDir, `${name}.log`);
    appendFileSync(logFile, `===== ${new Date().toISOString()} start #${++this.#n}: ${script} ${args.join(' ')}\n`);
    const p = new ManagedProcess({ name, script, args, logFile, env: { FUSTOR_HOME: undefined, ...env }, cwd: REPO_ROOT });
    this.#procs.push(p);
    return p;
  }

  /** Tails of every process log, for a failing test's output. */
  dumpLogs(): string {
    const parts = [`e2e world ${this.root}`];
    for (const f of readdirSync(this.logsDir)) parts.push(`----- ${f} (tail) -----\n${tailOf(join(this.logsDir, f), 80)}`);
    return parts.join('\n');
  }

  /** Daemons started with -D are not our children: remember their pid file to kill them at cleanup. */
  trackPidFile(path: string): void {
    this.#pidFiles.push(path);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#procs.map((p) => p.kill9()));
    for (const f of this.#pidFiles) {
      try {
        process.kill(Number(readFileSync(f, 'utf8').trim()), 'SIGKILL');
      } catch {
        // already gone, or no pid file
      }
    }
    if (process.env.FUSTOR_E2E_KEEP !== '1') rmSync(this.root, { recursive: true, force: true });
  }
}

// The nodes live in their own modules; tests import everything from here.
export { FusionNode, type FusionOptions } from './fusion-node.js';
export { AgentNode, type AgentOptions, type AgentStatus } from './agent-node.js';
