// consumers.md §1 end to end: kind, uid, gid and mode of real entries (chown/chmod as root, symlinks,
// FIFOs, devices) as Fusion answers them, checked by the oracle after the snapshot, after realtime
// changes and after an audit. Needs root (chown to arbitrary ids, mknod), as the test machine runs.

import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { waitForOracle } from './helpers/oracle.js';
import { writeTree } from '@fustor/test-helpers';
import { AgentNode, FusionNode, World } from './helpers/world.js';

function mkfifo(path: string, mode: number, uid: number, gid: number): void {
  execFileSync('mkfifo', ['-m', mode.toString(8), path]);
  chownSync(path, uid, gid);
}

function mknodChar(path: string, major: number, minor: number, mode: number): void {
  execFileSync('mknod', ['-m', mode.toString(8), path, 'c', String(major), String(minor)]);
}

/** A tree whose entries have owners, groups and modes no default would give them, and every kind but socket. */
function writeOddTree(data: string): void {
  writeTree(data, { 'plain.dat': 'x', 'owned/inner.dat': 'yy' });
  chownSync(join(data, 'plain.dat'), 1001, 1002);
  chmodSync(join(data, 'plain.dat'), 0o640);
  chownSync(join(data, 'owned'), 2001, 2002);
  chmodSync(join(data, 'owned'), 0o2750); // setgid directory
  chownSync(join(data, 'owned/inner.dat'), 2003, 2004);
  chmodSync(join(data, 'owned/inner.dat'), 0o4755); // setuid file
  mkdirSync(join(data, 'sticky'));
  chmodSync(join(data, 'sticky'), 0o1777);
  symlinkSync('plain.dat', join(data, 'link'));
  lchownSync(join(data, 'link'), 3001, 3002); // the link's own owner, not its target's
  symlinkSync('/nonexistent/target', join(data, 'dangling'));
  mkfifo(join(data, 'fifo'), 0o620, 4001, 4002);
  mknodChar(join(data, 'null-dev'), 1, 3, 0o600);
}

describe('metadata: kind, uid, gid, mode', () => {
  beforeAll(() => {
    expect(process.getuid?.(), 'this test chowns to arbitrary ids and creates device nodes: run it as root').toBe(0);
  });

  test('after the snapshot, and after realtime attribute changes and new entries of every kind (no audit runs)', async () => {
    const w = World.create('metadata-realtime');
    const data = w.dir('data');
    writeOddTree(data);
    const fusion = await FusionNode.start(w);
    const agent = await AgentNode.start(w, fusion, { agentId: 'meta', pipes: [{ id: 'p1', dir: data, view: 'research', auditIntervalSec: 0 }] });
    await waitForOracle(fusion.client, 'research', data, { meta: true });

    // Attribute-only changes: no size or mtime moves, no directory listing changes.
    chmodSync(join(data, 'plain.dat'), 0o600);
    chownSync(join(data, 'plain.dat'), 1101, 1102);
    chmodSync(join(data, 'owned'), 0o700);
    chownSync(join(data, 'owned/inner.dat'), 5001, 5002);
    chownSync(data, 5003, 5004); // the root itself
    // New entries of every kind, with owners and modes of their own.
    mkdirSync(join(data, 'fresh'));
    chownSync(join(data, 'fresh'), 6001, 6002);
    chmodSync(join(data, 'fresh'), 0o711);
    writeFileSync(join(data, 'fresh/f.dat'), 'new');
    chownSync(join(data, 'fresh/f.dat'), 6003, 6004);
    symlinkSync('../plain.dat', join(data, 'fresh/link2'));
    lchownSync(join(data, 'fresh/link2'), 7001, 7002);
    mkfifo(join(data, 'fresh/fifo2'), 0o644, 7003, 7004);
    mknodChar(join(data, 'fresh/zero'), 1, 5, 0o640);
    // A file replaced by a rename (an editor's save): the new inode's metadata wins.
    writeFileSync(join(data, 'fresh/save.tmp'), 'saved');
    chmodSync(join(data, 'fresh/save.tmp'), 0o604);
    chownSync(join(data, 'fresh/save.tmp'), 8001, 8002);
    renameSync(join(data, 'fresh/save.tmp'), join(data, 'plain.dat'));

    await waitForOracle(fusion.client, 'research', data, { meta: true });
    const pipe = await agent.waitForPipe('status', () => true);
    expect(pipe.audits_completed).toBe(0);
  });

  test('after an audit: entries made while nothing watches are found with their metadata', async () => {
    const w = World.create('metadata-audit');
    const data = w.dir('data');
    writeOddTree(data);
    const fusion = await FusionNode.start(w);
    // Scan-only: what changes after the snapshot reaches Fusion through the periodic audit alone.
    const agent = await AgentNode.start(w, fusion, {
      agentId: 'meta-scan', pipes: [{ id: 'p1', dir: data, view: 'research', realtime: false, auditIntervalSec: 1 }],
    });
    await waitForOracle(fusion.client, 'research', data, { meta: true });
    const audits = Number((await agent.waitForPipe('status', () => true)).audits_completed ?? 0);

    mkdirSync(join(data, 'later'));
    chownSync(join(data, 'later'), 9001, 9002);
    chmodSync(join(data, 'later'), 0o2770);
    writeFileSync(join(data, 'later/a.dat'), 'aaa');
    chownSync(join(data, 'later/a.dat'), 9003, 9004);
    chmodSync(join(data, 'later/a.dat'), 0o400);
    symlinkSync('a.dat', join(data, 'later/a-link'));
    lchownSync(join(data, 'later/a-link'), 9005, 9006);
    mkfifo(join(data, 'later/fifo3'), 0o600, 9007, 9008);
    mknodChar(join(data, 'later/urandom'), 1, 9, 0o644);

    await agent.waitForPipe('an audit after the changes', (p) => Number(p.audits_completed ?? 0) >= audits + 2, { timeoutMs: 30_000 });
    await waitForOracle(fusion.client, 'research', data, { meta: true });
  });
});
