#!/usr/bin/env node
// Thin launcher so the bin exists before `npm run build`: the CLI is the bundle, run with V8's code
// cache (load-bundle.js), or dist/ (see entry.js).
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { agentEntry } from './entry.js';
import { loadBundle } from './load-bundle.js';

// undici parses HTTP/1 with llhttp compiled to WebAssembly, and V8 tiers its functions up with TurboFan
// on a helper thread: 100–150 ms of CPU at every agent start (`node --liftoff-only` took it away), for
// the few hundred small answers an agent parses, while its first snapshot needs both cores. V8's
// baseline wasm code (Liftoff) parses them fast enough (docs/benchmarks.md, P3 fifth pass). Set here,
// before anything is compiled: V8's code cache is only taken under the flags it was made with.
setFlagsFromString('--liftoff-only');

const entry = agentEntry();
const started = entry.bundled
  ? Promise.resolve().then(() => {
    const bundle = loadBundle(fileURLToPath(entry.url));
    return bundle.exports.main(process.argv, { warm: bundle.warm });
  })
  : import(entry.url).then((m) => m.main(process.argv));

started.catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
