// Regression: the agent never recovered from a full disk. Agent home on a 1 MB tmpfs, Fusion down, files
// created while the spool cannot write: the loss must be counted and a re-snapshot owed, and once the
// space and Fusion are back the pipe must recover by itself (no restart) and Fusion must match the disk.

import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateTree, writeTree } from '@fustor/test-helpers';
import { waitForOracle } from './helpers/oracle.js';
import { AgentNode, FusionNode, World } from './helpers/world.js';

function mountTmpfs(dir: string, size: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
}

function unmount(dir: string): void {
  // Lazy: a process that still holds a file there must not keep the test from cleaning up.
  execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
}

/** null when a tmpfs can be mounted here (root, or a permissive container); otherwise why not. */
function tmpfsUnavailable(): string | null {
  if (process.platform !== 'linux') return `tmpfs mounts need Linux (this is ${process.platform})`;
  const dir = mkdtempSync(join(tmpdir(), 'fustor-tmpfs-probe-'));
  try {
    mountTmpfs(dir, '64k');
    unmount(dir);
    return null;
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    return `cannot mount a tmpfs here (${stderr || (err as Error).message}); run as root or with CAP_SYS_ADMIN`;
  } finally {
    rmdirSync(dir);
  }
}

/** Appends to `file` until the filesystem refuses with ENOSPC. */
function fillUp(file: string): void {
  const chunk = Buffer.alloc(16 * 1024, 120);
  for (;;) {
    try {
      appendFileSync(file, chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw err;
    }
  }
}

const unavailable = tmpfsUnavailable();

describe('full disk', () => {
  test.skipIf(unavailable !== null)(
    `regression: the agent never recovers from a full disk${unavailable ? ` — skipped: ${unavailable}` : ''}`,
    async () => {
      const w = World.create('full-disk');
      const data = w.dir('data');
      generateTree(data, 3, 10);
      const fusion = await FusionNode.start(w);
      const home = w.dir('agent-full-disk');
      mountTmpfs(home, '1m');
      let agent: AgentNode | null = null;
      try {
        agent = await AgentNode.start(w, fusion, {
          agentId: 'full',
          homeName: 'agent-full-disk',
          pipes: [{ id: 'p', dir: data, view: 'research', auditIntervalSec: 3600 }],
        });
        await agent.waitForPipe('leader with a snapshot', (p) => p.state === 'leader' && Number(p.snapshots_completed) > 0);
        await waitForOracle(fusion.client, 'research', data);
        const snapshotsBefore = Number((await agent.waitForPipe('status', () => true)).snapshots_completed);

        await fusion.stop();
        const filler = join(home, 'filler');
        fillUp(filler);
        writeTree(data, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`d001/while-full-${i}.dat`, `written on a full agent disk ${i}`])));
        rmSync(join(data, 'd000', 'f0000.dat')); // a deletion only the recovery audit can find

        type Spool = { dropped_events?: number; writable?: boolean; write_failures?: number };
        const lossSeen = await agent.waitForPipe(
          'the lost events counted and a re-snapshot owed',
          (p) => {
            const sp = p.spool as Spool | undefined;
            return (sp?.dropped_events ?? 0) > 0 && sp?.writable === false && p.resnapshot_pending === true;
          },
          { timeoutMs: 30_000 },
        );
        expect((lossSeen.spool as Spool).write_failures).toBeGreaterThan(0);
        expect((lossSeen.recent_errors as Array<{ message: string }>).some((e) => e.message.includes('ENOSPC'))).toBe(true);

        unlinkSync(filler);
        await fusion.restart();
        await agent.waitForPipe(
          'leader again, re-snapshot done, spool writable',
          (p) => p.state === 'leader' && p.resnapshot_pending === false && Number(p.snapshots_completed) > snapshotsBefore && (p.spool as Spool).writable === true,
          { timeoutMs: 60_000 },
        );
        await waitForOracle(fusion.client, 'research', data, { timeoutMs: 60_000 });
        // The same process all along: recovery needed no restart.
        expect(agent.proc?.running).toBe(true);
      } finally {
        await agent?.kill9();
        unmount(home);
      }
    },
  );
});
