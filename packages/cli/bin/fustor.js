#!/usr/bin/env node
// Thin launcher so the bin exists before `npm run build`; the CLI lives in dist/.
import('../dist/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
