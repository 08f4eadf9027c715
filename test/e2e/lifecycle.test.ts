// One agent + Fusion on a real directory: the initial snapshot, then every kind of change, checked by the oracle.

import { appendFileSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
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
});
