// bin/load-bundle.js: the CommonJS bundle run through vm.Script with V8's code cache. Each load is a fresh
// process, as a start is: the first writes the cache when warmed, the next uses it, and a cache never
// meets another build.

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempTree, type TempTree } from '@fustor/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';

const LOADER = fileURLToPath(new URL('../bin/load-bundle.js', import.meta.url));
const REAL_BUNDLE = fileURLToPath(new URL('../dist/bundle/cli.cjs', import.meta.url));

interface Load {
  cache: string;
  warmed: boolean;
  answer: unknown;
}

/** Loads `file` in a new node process, calls its `answer()` export if any, then warm(). */
function load(file: string, env: Record<string, string> = {}): Load {
  const script = `
    import { loadBundle } from ${JSON.stringify(LOADER)};
    const b = loadBundle(${JSON.stringify(file)});
    const answer = typeof b.exports.answer === 'function' ? b.exports.answer() : null;
    console.log(JSON.stringify({ cache: b.cache, warmed: b.warm(), answer }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  return JSON.parse(out) as Load;
}

const caches = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.cache'));

describe('code cache of the bundle', () => {
  const trees: TempTree[] = [];
  afterEach(() => {
    for (const t of trees.splice(0)) t.cleanup();
  });
  const bundle = (source: string) => {
    const t = tempTree({ 'cli.cjs': source });
    trees.push(t);
    return { dir: t.dir, file: join(t.dir, 'cli.cjs') };
  };
  const SOURCE = `function add(a, b) { return a + b; }\nexports.answer = () => add(40, 2) + (typeof require('node:path').join === 'function' ? 0 : 1) + (__filename.endsWith('cli.cjs') ? 0 : 100);\n`;

  it('the first start writes the cache once warm, the next one uses it; the module runs the same', () => {
    const b = bundle(SOURCE);
    expect(load(b.file)).toEqual({ cache: 'none', warmed: true, answer: 42 });
    expect(caches(b.dir)).toHaveLength(1);
    expect(load(b.file)).toEqual({ cache: 'used', warmed: false, answer: 42 });
    expect(readdirSync(b.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('regression: a rebuilt bundle of the same length never takes the previous build\'s cache (V8 checks only the length)', () => {
    const b = bundle(SOURCE);
    load(b.file);
    const rebuilt = SOURCE.replace('add(40, 2)', 'add(40, 3)');
    expect(rebuilt.length).toBe(SOURCE.length);
    writeFileSync(b.file, rebuilt);
    expect(load(b.file)).toEqual({ cache: 'none', warmed: true, answer: 43 });
    expect(caches(b.dir)).toHaveLength(2);
  });

  it('a cache V8 rejects is replaced at the next warm start', () => {
    const b = bundle(SOURCE);
    load(b.file);
    const [name] = caches(b.dir);
    writeFileSync(join(b.dir, name!), Buffer.alloc(64, 7));
    expect(load(b.file)).toEqual({ cache: 'rejected', warmed: true, answer: 42 });
    expect(load(b.file)).toMatchObject({ cache: 'used' });
  });

  it('FUSTOR_CODE_CACHE=0 neither reads nor writes a cache', () => {
    const b = bundle(SOURCE);
    expect(load(b.file, { FUSTOR_CODE_CACHE: '0' })).toEqual({ cache: 'off', warmed: false, answer: 42 });
    expect(caches(b.dir)).toEqual([]);
  });

  it('a cache that cannot be written costs only the cache: the bundle runs and nothing is left behind', () => {
    const b = bundle(SOURCE);
    load(b.file);
    const [name] = caches(b.dir);
    // The cache's own path taken by a directory: it can be neither read nor replaced.
    execFileSync('rm', [join(b.dir, name!)]);
    mkdirSync(join(b.dir, name!));
    expect(load(b.file)).toEqual({ cache: 'none', warmed: false, answer: 42 });
    expect(readdirSync(b.dir).sort()).toEqual(['cli.cjs', name!]);
  });

  it.runIf(existsSync(REAL_BUNDLE))('V8 takes the cache of the real agent bundle', () => {
    const t = tempTree();
    trees.push(t);
    const file = join(t.dir, 'cli.cjs');
    copyFileSync(REAL_BUNDLE, file);
    expect(load(file)).toMatchObject({ cache: 'none', warmed: true });
    expect(load(file)).toMatchObject({ cache: 'used' });
  });
});
