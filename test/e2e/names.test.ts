// R10: awkward names (newline, invalid UTF-8, '%', very long paths) are encoded per the rules and the scan carries on.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { encodeName, waitForOracle } from './helpers/oracle.js';
import { writeTree } from '@fustor/test-helpers';
import { AgentNode, FusionNode, World } from './helpers/world.js';

describe('awkward names (R10)', () => {
  test('the oracle encoding matches the documented rules', () => {
    expect(encodeName(Buffer.from('plain name.txt'))).toBe('plain name.txt');
    expect(encodeName(Buffer.from('50%.txt'))).toBe('50%.txt');
    expect(encodeName(Buffer.from('a%41b'))).toBe('a%2541b');
    expect(encodeName(Buffer.from('line\nbreak'))).toBe('line%0Abreak');
    expect(encodeName(Buffer.from([0x66, 0xff, 0x2e, 0x64]))).toBe('f%FF.d');
    expect(encodeName(Buffer.from('snowman ☃ ünïcode'))).toBe('snowman ☃ ünïcode');
  });

  test('snapshot and realtime both encode them, long paths work, and ordinary files are unaffected', async () => {
    const w = World.create('names');
    const data = w.dir('data');
    writeTree(data, { 'ok/ordinary.txt': 'fine', 'ok/50%.txt': 'percent', 'ok/a%41b.txt': 'escaped percent' });
    const raw = (name: Buffer) => Buffer.concat([Buffer.from(join(data, 'odd') + '/'), name]);
    mkdirSync(join(data, 'odd'));
    writeFileSync(raw(Buffer.from('line\nbreak.txt')), 'newline');
    writeFileSync(raw(Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x62, 0x69, 0x6e])), 'latin-1 bytes');
    // About 3,780 bytes of view path: 15 directories of 250 characters, then a file.
    let deep = join(data, 'long');
    for (let i = 0; i < 15; i++) deep = join(deep, String(i % 10).repeat(250));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'end.txt'), 'deep');

    const fusion = await FusionNode.start(w);
    const agent = await AgentNode.start(w, fusion, { agentId: 'names', pipes: [{ id: 'p', dir: data, view: 'research' }] });
    const seen = await waitForOracle(fusion.client, 'research', data);
    expect(seen.has('/odd/line%0Abreak.txt')).toBe(true);
    expect(seen.has('/odd/bad%FF%FE.bin')).toBe(true);
    expect(seen.has('/ok/a%2541b.txt')).toBe(true);
    expect([...seen.keys()].some((p) => p.endsWith('/end.txt') && Buffer.byteLength(p) > 3_700)).toBe(true);

    // The same names created while watching arrive through realtime, encoded the same way.
    writeFileSync(raw(Buffer.from('second\rname.txt')), 'carriage return');
    writeFileSync(raw(Buffer.from([0x6e, 0x65, 0x77, 0xc3, 0x28])), 'truncated sequence');
    const after = await waitForOracle(fusion.client, 'research', data);
    expect(after.has('/odd/second%0Dname.txt')).toBe(true);
    expect(after.has('/odd/new%C3(')).toBe(true);
    expect(agent.proc!.running).toBe(true);
  });
});
