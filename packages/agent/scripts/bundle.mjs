#!/usr/bin/env node
// Bundles the built agent CLI (dist/cli/main.js and everything it imports) into dist/bundle/, which the
// `fustor-agent` launcher loads when it is up to date.
//
// Why: Node's ESM loader resolves, reads and compiles each of the ~300 modules the agent imports one by
// one; that alone took ~0.3 s of the agent's ~0.5 s from spawn to its first scan batch (P3 start-up,
// docs/benchmarks.md). One file (plus the lazily imported console and watcher chunks) loads in about
// half of it. rolldown is the bundler vite already brings; the output keeps each module's path as a
// comment, so a stack trace still says where it comes from.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(pkg, 'dist', 'bundle');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  input: join(pkg, 'dist', 'cli', 'main.js'),
  platform: 'node',
  logLevel: 'warn',
  output: { dir: out, format: 'esm', entryFileNames: 'cli.js', chunkFileNames: '[name]-[hash].js' },
});
// Written last: the launcher takes the bundle only when this stamp is newer than the TypeScript build.
writeFileSync(join(out, 'complete'), `${new Date().toISOString()}\n`);
