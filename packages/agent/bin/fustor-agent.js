#!/usr/bin/env node
// Thin launcher so the bin exists before `npm run build`: the CLI is the bundle, run with V8's code
// cache (load-bundle.js), or dist/ (see entry.js).
import { fileURLToPath } from 'node:url';
import { agentEntry } from './entry.js';
import { loadBundle } from './load-bundle.js';

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
