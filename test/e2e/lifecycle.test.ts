// One agent + Fusion on a real directory: the initial snapshot, then every kind of change, checked by the
// oracle (file sizes and mtimes, directory mtimes).

import { appendFileSync, mkdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { waitForOracle } from './helpers/oracle.js';
import { writeTree } from '@fustor/test-helpers';
import { AgentNode, FusionNode, World } from './helpers/world.js';

describe('one agent, one Fusion', () => {
  test('snapshot then create / modify / delete / rename / mkdir / rmdir converge to the directory', async () => {
    const w = World.create('lifecycle');
    const data = w.dir('data');
    writeTree(data, {
      'a.txt': 'alpha',
      'sub/b.dat': 'bravo-bravo',
      'sub/deeper/c.dat': 'c',
      'sub/deeper/d.dat': 'delta delta delta',
      'empty/.keep': '',
      'other/e.bin': 'e'.repeat(4096),
    });
    const fusion = await FusionNode.start(w);
    await AgentNode.start(w, fusion, { agentId: 'solo', pipes: [{ id: 'p1', dir: data, view: 'research' }] });

    const initial = await waitForOracle(fusion.client, 'research', data);
    expect(initial.get('/sub/deeper/d.dat')?.size).toBe(17);

    // create and modify
    writeFileSync(join(data, 'new.txt'), 'fresh');
    appendFileSync(join(data, 'a.txt'), ' and more');
    mkdirSync(join(data, 'made/inner'), { recursive: true });
    writeFileSync(join(data, 'made/inner/z.dat'), 'zz');
    await waitForOracle(fusion.client, 'research', data);

    // delete and rename (file and directory)
    unlinkSync(join(data, 'sub/b.dat'));
    renameSync(join(data, 'other/e.bin'), join(data, 'other/e-renamed.bin'));
    renameSync(join(data, 'sub/deeper'), join(data, 'moved-deeper'));
    await waitForOracle(fusion.client, 'research', data);

    // rmdir (a populated tree and an empty one)
    rmSync(join(data, 'made'), { recursive: true });
    rmSync(join(data, 'empty'), { recursive: true });
    const final = await waitForOracle(fusion.client, 'research', data);
    expect(final.has('/made')).toBe(false);
    expect(final.get('/moved-deeper/c.dat')).toBeDefined();
  });

  test('regression: directory mtimes follow realtime creates, appends, deletes and renames (no audit runs to repair them)', async () => {
    const w = World.create('dir-mtimes');
    const data = w.dir('data');
    const leaves: string[] = [];
    for (let p = 0; p < 5; p++) {
      for (let q = 0; q < 3; q++) {
        const leaf = `p${p}/q${q}`;
        leaves.push(leaf);
        writeTree(data, { [`${leaf}/a.dat`]: 'a', [`${leaf}/b.dat`]: 'bb', [`${leaf}/c.dat`]: 'ccc' });
      }
    }
    const fusion = await FusionNode.start(w);
    // audit_interval_sec 0: only realtime can bring Fusion's directory mtimes up to date.
    const agent = await AgentNode.start(w, fusion, { agentId: 'solo', pipes: [{ id: 'p1', dir: data, view: 'research', auditIntervalSec: 0 }] });
    await waitForOracle(fusion.client, 'research', data);

    const before = new Map(leaves.map((l) => [l, statSync(join(data, l)).mtimeMs]));
    for (const leaf of leaves) {
      writeFileSync(join(data, leaf, 'new.dat'), 'fresh');
      appendFileSync(join(data, leaf, 'a.dat'), ' more');
      unlinkSync(join(data, leaf, 'b.dat'));
      renameSync(join(data, leaf, 'c.dat'), join(data, leaf, 'c-renamed.dat'));
    }
    renameSync(join(data, 'p0/q0/a.dat'), join(data, 'p1/moved.dat'));
    // Every leaf's mtime moved on disk (so the check below is about something), and so did p1's.
    expect(leaves.filter((l) => statSync(join(data, l)).mtimeMs === before.get(l))).toEqual([]);

    const seen = await waitForOracle(fusion.client, 'research', data);
    expect(seen.get('/p1')?.mtime_ms).toBe(statSync(join(data, 'p1')).mtimeMs);
    const pipe = await agent.waitForPipe('idle', () => true);
    expect(pipe.audits_completed).toBe(0);
  });
});
