// Which build the `fustor-agent` launcher loads: the bundle (dist/bundle/cli.cjs, scripts/bundle.mjs) when it is up
// to date, else the TypeScript build (dist/cli/main.js). Plain JavaScript, so it works before any build.
//
// "Up to date": the bundle's completion stamp (dated by the bundler with the newest input it saw) is at
// least as new as every input it was made from that a later build or install rewrites: the TypeScript
// build info of the agent and of the two workspace packages it bundles (tsc -b rewrites them whenever
// it emits), and npm's record of node_modules. So a
// `tsc -b` after a source edit, or an `npm install`, falls back to the unbundled build until the next
// `npm run build` instead of running stale code. FUSTOR_AGENT_BUNDLE=0 forces the unbundled build.

import { statSync } from 'node:fs';

/** The inputs a bundle is made from, relative to the package (scripts/bundle.mjs dates its stamp by them). */
export const INPUTS = [
  'dist/.tsbuildinfo',
  '../source-fs/dist/.tsbuildinfo',
  '../protocol/dist/.tsbuildinfo',
  '../../node_modules/.package-lock.json',
];

function mtimeMs(url) {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return null;
  }
}

/** { url, bundled, reason }: the module to import, and why (for `--debug-entry` style diagnostics and tests). */
export function agentEntry(pkgUrl = new URL('../', import.meta.url), env = process.env) {
  const unbundled = (reason) => ({ url: new URL('dist/cli/main.js', pkgUrl).href, bundled: false, reason });
  if (env.FUSTOR_AGENT_BUNDLE === '0') return unbundled('FUSTOR_AGENT_BUNDLE=0');
  const stamp = mtimeMs(new URL('dist/bundle/complete', pkgUrl));
  if (stamp === null) return unbundled('no bundle (run `npm run build`)');
  // A bundle directory an older build left (its ESM `cli.js`, no `cli.cjs`) has a stamp but not this file.
  if (mtimeMs(new URL('dist/bundle/cli.cjs', pkgUrl)) === null) return unbundled('no dist/bundle/cli.cjs (run `npm run build`)');
  for (const input of INPUTS) {
    const m = mtimeMs(new URL(input, pkgUrl));
    // The agent's own build info missing means its build was cleaned: the bundle would be a leftover.
    if (m === null && input === INPUTS[0]) return unbundled('no TypeScript build (run `npm run build`)');
    // One millisecond of slack: the bundler dates the stamp through a JavaScript Date (whole ms), the
    // file system keeps nanoseconds, so an input it saw can read a fraction of a millisecond newer.
    if (m !== null && m > stamp + 1) return unbundled(`bundle older than ${input} (run \`npm run build\`)`);
  }
  return { url: new URL('dist/bundle/cli.cjs', pkgUrl).href, bundled: true, reason: 'bundle up to date' };
}
