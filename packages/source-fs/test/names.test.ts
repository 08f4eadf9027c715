// Name encoding: reversible, injective, and the identity on ordinary names.

import { describe, expect, it } from 'vitest';
import { decodeSegment, encodeNameBytes } from '@fustor/source-fs';

function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

describe('name encoding', () => {
  it.each([
    ['plain.dat', 'plain.dat'],
    ['50%.txt', '50%.txt'],
    ['%zz', '%zz'],
    ['a%41b', 'a%2541b'],
    ['two\nlines', 'two%0Alines'],
    ['cr\r', 'cr%0D'],
    ['ünïcødé ✓', 'ünïcødé ✓'],
  ])('%j -> %j', (name, seg) => {
    expect(encodeNameBytes(Buffer.from(name)).segment).toBe(seg);
    expect(decodeSegment(seg)).toBe(name);
  });

  it('round-trips random byte names and never maps two names to one segment', () => {
    const rnd = prng(7);
    const alphabet = [0x25, 0x41, 0x30, 0x46, 0x0a, 0x0d, 0x61, 0xc3, 0xa9, 0xff, 0xe2, 0x82, 0xac, 0x80, 0x7a];
    const seen = new Map<string, string>();
    for (let i = 0; i < 20_000; i++) {
      const len = 1 + Math.floor(rnd() * 6);
      const b = Buffer.from(Array.from({ length: len }, () => alphabet[Math.floor(rnd() * alphabet.length)]!));
      const { segment } = encodeNameBytes(b);
      expect(segment).not.toMatch(/[\n\r\uFFFD]/);
      const back = decodeSegment(segment);
      expect(Buffer.isBuffer(back) ? back : Buffer.from(back)).toEqual(b);
      const prev = seen.get(segment);
      if (prev !== undefined) expect(prev).toBe(b.toString('hex'));
      seen.set(segment, b.toString('hex'));
    }
  });
});
