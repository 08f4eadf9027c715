// Where the optional native directory job is (native/list-dir.c, built by `npm run build` where a C compiler is).
//
// It is looked for beside this package's sources and, when the agent runs from its bundle (so
// import.meta.url is the bundle's), through the package's resolution. FUSTOR_NATIVE_SCAN=0 turns it
// off. Without it every directory job runs in JavaScript (dir-job.ts), as before.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ADDON = 'native/build/Release/fustor_scan.node';

/** The addon's path, or null (turned off, or not built here). */
export function nativeScanPath(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.FUSTOR_NATIVE_SCAN === '0') return null;
  const candidates: Array<() => string> = [
    () => fileURLToPath(new URL(`../../${ADDON}`, import.meta.url)),
    () => join(dirname(createRequire(import.meta.url).resolve('@fustor/source-fs')), '..', ADDON),
  ];
  for (const c of candidates) {
    try {
      const p = c();
      if (existsSync(p)) return p;
    } catch {
      // not resolvable from here
    }
  }
  return null;
}

/** Tests only (operations.md, "Test-only settings"): use the native job without probing first. */
export function nativeScanTrusted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.FUSTOR_TEST_NATIVE_SCAN_TRUST === '1';
}
