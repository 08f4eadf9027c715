#!/usr/bin/env node
// Bundles the built agent CLI (dist/cli/main.js and everything it imports) into one CommonJS file,
// dist/bundle/cli.cjs, which the `fustor-agent` launcher loads when it is up to date (bin/entry.js)
// with V8's code cache (bin/load-bundle.js).
//
// Why: Node's ESM loader resolves, reads and compiles each of the ~300 modules the agent imports one by
// one; that took ~0.35 s of the agent's ~0.5 s from spawn to its first scan batch (P3 start-up,
// docs/benchmarks.md). One file loads in ~0.2 s. CommonJS and one file, because only a script compiled
// through vm.Script can take V8's code cache on Node 20 (no module compile cache before Node 22), and
// the cache then skips compiling it again: lazily imported parts (the console, the watcher backends)
// are inlined and still evaluated only when first used.
// rolldown is the bundler vite already brings; the output keeps each module's path as a comment, so a
// stack trace still says where it comes from.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { INPUTS } from '../bin/entry.js';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(pkg, 'dist', 'bundle');
const tmp = join(pkg, 'dist', `bundle.tmp-${process.pid}`);
// Taken before bundling: a TypeScript emit during the build (tsc --watch) then counts as newer than the bundle.
const newestInput = Math.max(0, ...INPUTS.map((p) => join(pkg, p)).filter((p) => existsSync(p)).map((p) => statSync(p).mtimeMs));

rmSync(tmp, { recursive: true, force: true });
await build({
  input: join(pkg, 'dist', 'cli', 'main.js'),
  platform: 'node',
  logLevel: 'warn',
  output: { dir: tmp, format: 'cjs', entryFileNames: 'cli.cjs', codeSplitting: false },
});

// The stat worker's source is made of dir-job.ts's functions as text (stat-pool.ts): they name its
// constants, which the worker declares under their own names. A bundler that renamed one on a clash
// (K_DIR → K_DIR$1) would leave the worker failing on every job, and scans silently on one thread.
const CONSTANTS = ['K_DIR', 'K_STAT', 'K_VANISHED', 'ST_STRIDE', 'ST_SIZE', 'ST_MTIME', 'ST_CTIME', 'ST_UID', 'ST_GID', 'ST_MODE', 'WIRE_MIN_MS', 'WIRE_MAX_MS'];
for (const f of readdirSync(tmp)) {
  const text = readFileSync(join(tmp, f), 'utf8');
  const renamed = CONSTANTS.find((c) => new RegExp(`\\b${c}\\$\\d`).test(text));
  if (renamed) {
    rmSync(tmp, { recursive: true, force: true });
    console.error(`bundle: ${f} renames the stat job's constant ${renamed}; rename the clashing identifier so the worker source stays valid`);
    process.exit(1);
  }
}

// Into place. The bundle is read whole at start, so a running agent needs none of these files: the
// previous build's code caches (cli.cjs.<hash>.cache, written by bin/load-bundle.js) and chunks go.
mkdirSync(out, { recursive: true });
const fresh = readdirSync(tmp);
for (const f of readdirSync(out)) {
  if (f !== 'complete' && !fresh.includes(f)) rmSync(join(out, f), { force: true });
}
for (const f of fresh) renameSync(join(tmp, f), join(out, f));
rmSync(tmp, { recursive: true, force: true });
// Written last: the launcher takes the bundle only when this stamp is not older than any input.
const stamp = join(out, 'complete');
writeFileSync(stamp, `${new Date().toISOString()}\n`);
const t = new Date(newestInput || Date.now());
utimesSync(stamp, t, t);
