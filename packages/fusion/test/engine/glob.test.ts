// The search glob matcher: agrees with picomatch (dot: true) on random safe patterns, and stays linear on hostile ones.

import fc from 'fast-check';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../src/tree/glob.js';

const ref = (p: string) => {
  const re = picomatch.makeRe(p, { dot: true });
  return (s: string) => re.test(s);
};

// Names from a small alphabet so that patterns hit often; no '[', ']' or newline (see docs/api.md for those differences).
const CHARS = ['a', 'b', 'c', '.', '-', '_', 'é', 'Z', '1'];
// '.' and '..' are never names in a view.
const nameArb = fc
  .array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 8 })
  .map((a) => a.join(''))
  .filter((n) => n !== '.' && n !== '..');
const pathArb = fc.array(nameArb, { minLength: 1, maxLength: 4 }).map((segs) => '/' + segs.join('/'));

// "Safe" patterns steer clear of picomatch's own bugs, which the new matcher does not copy: a '.'
// right after a literal becomes a regex wildcard there ('x*a.b' matches 'x1aQb'), '.*' needs a
// character after the dot, '**' directly before '{' crosses '/', and so does a leading '**' that is
// not a whole segment behind './'.
const litArb = fc.constantFrom(...CHARS.filter((c) => c !== '.'));
const classArb = fc.constantFrom('[ab]', '[a-c]', '[^a]', '[^b.]', '[[:alpha:]]', '[[:digit:]_]', '[a-c1]', '[]a]', '[é-]', '[-a]');
/** One element of a segment (no '/'). */
const atomArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: litArb },
  { weight: 3, arbitrary: fc.constant('*') },
  { weight: 2, arbitrary: fc.constant('?') },
  { weight: 2, arbitrary: classArb },
  { weight: 2, arbitrary: litArb.map((c) => '*.' + c) },
  { weight: 1, arbitrary: fc.constantFrom('{a,b}', '{a,}', '{.c,*b}', '{a,{b,c}}', '{a..c}', '{x,a*}') },
);
const segmentArb = fc.array(atomArb, { minLength: 1, maxLength: 5 }).map((a) => a.join(''));
/** Base-name patterns may also hold '**' inside a name, where it means '*'. */
const baseArb = fc
  .array(fc.oneof({ weight: 8, arbitrary: atomArb }, { weight: 1, arbitrary: fc.constant('**') }), { minLength: 1, maxLength: 6 })
  .map((a) => a.join(''));
const pathPatternArb = fc
  .array(fc.oneof({ weight: 4, arbitrary: segmentArb }, { weight: 1, arbitrary: fc.constant('**') }), { minLength: 1, maxLength: 4 })
  .chain((segs) => fc.constantFrom('/' + segs.join('/'), './' + segs.join('/'), '**/' + segs.join('/'), '/' + segs.join('/') + '/**'))
  // picomatch's whole-pattern fast paths read './**.b' as '**.b' with a '/'-crossing '**'
  .filter((p) => !/^\.\/\*\*[^/]/.test(p));

describe('compileGlob', () => {
  it('agrees with picomatch (dot: true) on random base-name patterns', () => {
    fc.assert(
      fc.property(baseArb, fc.array(nameArb, { minLength: 1, maxLength: 20 }), (pattern, names) => {
        const mine = compileGlob(pattern);
        const theirs = ref(pattern);
        for (const n of names) expect(mine(n), `${pattern} vs ${n}`).toBe(theirs(n));
        const neg = compileGlob('!' + pattern);
        const negRef = ref('!' + pattern);
        for (const n of names) expect(neg(n), `!${pattern} vs ${n}`).toBe(negRef(n));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with picomatch (dot: true) on random path patterns', () => {
    fc.assert(
      fc.property(pathPatternArb, fc.array(pathArb, { minLength: 1, maxLength: 20 }), (pattern, paths) => {
        const mine = compileGlob(pattern);
        const theirs = ref(pattern);
        for (const p of paths) expect(mine(p), `${pattern} vs ${p}`).toBe(theirs(p));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees on paths built to match (globstars and braces spanning segments)', () => {
    const cases: [string, string, boolean][] = [
      ['/a/**/*.fastq', '/a/x.fastq', true],
      ['/a/**/*.fastq', '/a/sub.fastq/z.fastq', true],
      ['/a/**', '/a', true],
      ['/a/**', '/ab', false],
      ['**/x', '/q/r/x', true],
      ['**/x', 'x', true],
      ['/**/z*', '/a/sub/z.q', true],
      ['{/a/x.fastq,/b/w.fastq}', '/b/w.fastq', true],
      ['/a/{b,c/d}/e', '/a/c/d/e', true],
      ['/t1*/**/f2*.dat', '/t10/d/e/f2x.dat', true],
      ['/t1*/**/f2*.dat', '/t2/d/f2x.dat', false],
    ];
    for (const [p, s, want] of cases) {
      expect(compileGlob(p)(s), `${p} vs ${s}`).toBe(want);
      expect(ref(p)(s), `picomatch: ${p} vs ${s}`).toBe(want);
    }
  });

  it('matches a backtracking-hostile pattern on a 10,000-character name in one linear pass', () => {
    // picomatch's regex for this pattern takes exponential time in the number of stars.
    const name = 'a'.repeat(10_000);
    for (const p of ['*a*a*a*a*[b]', '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*[b]', '/**/*a*a*a*a*a*a*?b', '{*a,a*}*a*a*a*{b,[b]}']) {
      const m = compileGlob(p);
      expect(m(name)).toBe(false);
      expect(m(name + 'b')).toBe(!p.startsWith('/'));
    }
  });

  it('refuses unsupported or malformed patterns with 40001 naming the pattern', () => {
    for (const [p, why] of [
      ['a(b|c)', /groups and extglobs/],
      ['@(a|b)', /extglobs/],
      ['!(a)', /extglobs/],
      ['a{b,c', /unclosed '\{'/],
      ['x\\', /lone '\\'/],
      ['[z-a]', /reversed/],
      ['{1..10}', /not supported/],
      ['[[:nope:]]', /unknown character class/],
    ] as const) {
      let err: unknown;
      try {
        compileGlob(p);
      } catch (e) {
        err = e;
      }
      expect(err, p).toMatchObject({ code: 40001, status: 400 });
      expect((err as Error).message, p).toContain(`'${p}'`);
      expect((err as Error).message, p).toMatch(why);
    }
  });

  it('keeps the documented differences from picomatch', () => {
    // '[!a]' is a negated class (POSIX), where picomatch 4 reads '!' literally.
    expect(compileGlob('[!a]')('b')).toBe(true);
    expect(compileGlob('[!a]')('a')).toBe(false);
    // an escaped letter is that letter (picomatch passes '\d' through as a regex digit class).
    expect(compileGlob('\\d')('d')).toBe(true);
    expect(compileGlob('\\d')('1')).toBe(false);
  });
});
