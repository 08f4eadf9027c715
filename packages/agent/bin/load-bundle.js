// Runs the CommonJS bundle (dist/bundle/cli.cjs) through vm.Script with V8's code cache, so a start
// skips compiling the code its previous starts ran.
//
// Why: compiling the 1.2 MB bundle and then, lazily, each function the start-up calls took ~100 ms of
// the agent's start (P3 at 100k files, where start-up weighs most; docs/benchmarks.md). Node 20 has no
// compile cache of its own (module.enableCompileCache is Node 22), but vm.Script takes V8's cached data.
//
// The cache is made by the process itself once its start-up has run (`warm`, called by `start` when the
// first snapshot ends, or 2 s after it started), so it holds the functions a real start compiles, not only the top level. It
// sits beside the bundle, named by a hash of the bundle's text: V8 checks only the source's length, so
// a cache must never meet another build of the same length. A cache V8 rejects (another Node, other
// flags) is replaced at the next warm start; a directory we cannot write costs only the cache.
// FUSTOR_CODE_CACHE=0 neither reads nor writes it.

import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

/** The cache file for a bundle's text: beside it, named by the text's hash. */
export function cachePath(file, source) {
  return `${file}.${createHash('sha1').update(source).digest('hex').slice(0, 16)}.cache`;
}

/**
 * Loads `file` as CommonJS. Returns its exports, what became of the code cache
 * ('used' | 'rejected' | 'none' | 'off') and `warm()`, which writes the cache once when none was used.
 */
export function loadBundle(file, env = process.env) {
  const source = readFileSync(file, 'utf8');
  const off = env.FUSTOR_CODE_CACHE === '0';
  const cacheFile = cachePath(file, source);
  let cachedData;
  if (!off) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined; // first start of this build
    }
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cache = off ? 'off' : cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  let pending = cache === 'none' || cache === 'rejected';
  return {
    exports: module.exports,
    cache,
    /** Writes the code cache (atomically, once); true when it wrote one. Never throws. */
    warm() {
      if (!pending) return false;
      pending = false;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
        return true;
      } catch {
        rmSync(tmp, { force: true });
        return false;
      }
    },
  };
}
