#!/usr/bin/env node
// Thin launcher so the bin exists before `npm run build`: the CLI is the bundle or dist/ (see entry.js).
import { agentEntry } from './entry.js';

import(agentEntry().url).then((m) => m.main(process.argv)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
