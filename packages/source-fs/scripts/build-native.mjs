#!/usr/bin/env node
// Builds the optional native directory job (native/list-dir.c → native/build/Release/fustor_scan.node) with
// node-gyp, when it is missing or older than its sources. Never fails the build: without a compiler or
// Node's headers it says so once and scans keep the JavaScript job (docs/source-fs.md, "Native job").

import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const native = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'native');
const addon = join(native, 'build', 'Release', 'fustor_scan.node');
const sources = ['list-dir.c', 'binding.gyp'].map((f) => join(native, f));

// Linux only: it uses glibc's qsort_r and st_mtim (elsewhere scans keep the JavaScript job).
if (process.platform !== 'linux') {
  console.warn(`source-fs: native directory job not built (${process.platform}: Linux only); scans use the JavaScript job`);
  process.exit(0);
}
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : -1);
if (mtime(addon) >= Math.max(...sources.map(mtime))) process.exit(0);

// npm passes its own node-gyp to scripts; run by hand, use the one beside this Node's npm.
const prefix = resolve(dirname(process.execPath), '..');
const gyp = process.env.npm_config_node_gyp || join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const args = [gyp, 'rebuild', '--directory', native];
// Node's headers where this Node is installed (Debian's nodejs), so node-gyp need not download them.
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const t0 = Date.now();
// A time limit: without local headers node-gyp downloads them, and offline that could hang the build.
const r = existsSync(gyp) ? spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 180_000 }) : null;
if (r === null || r.status !== 0) {
  const why =
    r === null ? `node-gyp not found at ${gyp}` : r.error ? String(r.error.message) : (r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ');
  console.warn(`source-fs: native directory job not built (${why}); scans use the JavaScript job`);
  process.exit(0);
}
console.log(`source-fs: native directory job built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
