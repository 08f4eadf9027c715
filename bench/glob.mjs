#!/usr/bin/env node
// Search glob matching: the linear-time automaton (packages/fusion/src/tree/glob*.ts) against picomatch's regex (the
// previous matcher) in the same run, on ordinary patterns (ratio = automaton / regex time) and on backtracking-hostile
// ones (where the regex's time grows exponentially with the number of stars and the automaton's does not).
//
// Usage: node bench/glob.mjs [--quick]

import picomatch from 'picomatch';

const { compileGlob } = await import(new URL('../packages/fusion/dist/tree/glob.js', import.meta.url).href);

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;

function makeRng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const r = makeRng(42);
const NAMES = quick ? 100_000 : 400_000;
const names = Array.from({ length: NAMES }, (_, i) => `f${Math.floor(r() * 1000)}_${i}.${['dat', 'txt', 'fastq', 'h5'][i % 4]}`);
const paths = names.map((n, i) => `/t${i % 30}/run${i % 700}/${n}`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(fn) {
  const xs = [];
  for (let k = 0; k < RUNS; k++) {
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}
const count = (m, inputs) => () => {
  let n = 0;
  for (const s of inputs) if (m(s)) n++;
  return n;
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

const result = { names: NAMES };
const rows = [];
// Ordinary patterns: those that leave the literal-and-star fast path use the automaton.
for (const [key, pattern, inputs] of [
  ['class', 'f[1-3]*.dat', names],
  ['brace', '*.{dat,h5}', names],
  ['question', 'f??_*.txt', names],
  ['path', '/t1*/**/f2*.dat', paths],
]) {
  const mine = compileGlob(pattern);
  const re = picomatch.makeRe(pattern, { dot: true });
  const theirs = (s) => re.test(s);
  const hits = count(mine, inputs)();
  if (hits !== count(theirs, inputs)()) throw new Error(`${pattern}: the matchers disagree`);
  const a = time(count(mine, inputs));
  const b = time(count(theirs, inputs));
  result[key] = { value: round(a), baseline: round(b), ratio: round(a / b), unit: 'ms', hits };
  rows.push([pattern, `${round(a)} ms`, `${round(b)} ms (picomatch)`, `x${round(a / b)}`]);
}

// Hostile: one name of 'a' repeated, pattern '*a' × k + '*[b]'; picomatch's time multiplies with each star.
const LEN = 40;
const hostile = 'a'.repeat(LEN);
for (const k of [2, 3, 4]) {
  const pattern = '*a'.repeat(k) + '*[b]';
  const mine = compileGlob(pattern);
  const re = picomatch.makeRe(pattern, { dot: true });
  const a = time(() => mine(hostile));
  const b = time(() => re.test(hostile));
  result[`hostile_${k}_stars`] = { value: round(a, 4), baseline: round(b, 2), ratio: round(a / b, 5), unit: 'ms' };
  rows.push([`${pattern} on ${LEN} x 'a'`, `${round(a, 4)} ms`, `${round(b, 2)} ms (picomatch)`, `x${round(a / b, 5)}`]);
}
// The automaton alone on what froze Fusion: 14 stars, 10,000-character name.
const long = 'a'.repeat(10_000);
const fourteen = compileGlob('*a'.repeat(14) + '*[b]');
result.hostile_14_stars_10k_chars_ms = round(time(() => fourteen(long)), 3);
rows.push([`*a x14 *[b] on 10,000 x 'a'`, `${result.hostile_14_stars_10k_chars_ms} ms`, 'picomatch: > 10 min at 200 chars (issue)', '']);

for (const row of rows) console.log(row.join('  |  '));
console.log(`RESULT ${JSON.stringify(result)}`);
