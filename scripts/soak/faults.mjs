// Soak: disk-full episodes for an agent's home: a small tmpfs filled with ballast when mount(8) works,
// else an injected failure (the spool directory replaced by a file, so every spool write fails).

import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function canMountTmpfs() {
  const dir = mkdtempSync(join(tmpdir(), 'fustor-soak-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class DiskFaults {
  #mounted = [];

  constructor(mode) {
    /** 'tmpfs' or 'injected' */
    this.mode = mode;
  }

  /** Prepares an agent home (its own small file system in tmpfs mode). */
  prepareHome(home, sizeMb) {
    mkdirSync(home, { recursive: true });
    if (this.mode !== 'tmpfs') return;
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', home]);
    this.#mounted.push(home);
  }

  /** Makes writes under the agent's home fail for lack of space (or, injected, fail outright). */
  fill(agent) {
    if (this.mode === 'tmpfs') {
      const fd = openSync(join(agent.home, 'ballast'), 'w');
      const chunk = Buffer.alloc(1 << 20);
      try {
        for (;;) writeSync(fd, chunk);
      } catch {
        // ENOSPC: full
      } finally {
        closeSync(fd);
      }
      // the last partial megabyte too
      try {
        for (;;) writeFileSync(join(agent.home, `ballast-${Math.random()}`), Buffer.alloc(4096));
      } catch {
        // full to the last page
      }
      return;
    }
    if (existsSync(agent.spoolDir)) renameSync(agent.spoolDir, `${agent.spoolDir}.aside`);
    mkdirSync(join(agent.spoolDir, '..'), { recursive: true });
    writeFileSync(agent.spoolDir, 'not a directory: injected spool failure');
  }

  release(agent) {
    if (this.mode === 'tmpfs') {
      execFileSync('sh', ['-c', `rm -f '${agent.home}'/ballast*`]);
      return;
    }
    rmSync(agent.spoolDir, { force: true });
    if (existsSync(`${agent.spoolDir}.aside`)) renameSync(`${agent.spoolDir}.aside`, agent.spoolDir);
  }

  unmountAll() {
    for (const m of this.#mounted.splice(0)) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  }
}
