// Headless Debian Chromium for the browser tests (playwright-core drives it; no downloaded browser).

import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * A developer machine without Chromium skips the browser tests; CI (.ci/run installs chromium) must run
 * them, so there a missing browser fails instead of passing silently.
 */
export const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;

/** Launches Chromium headless, without the background traffic that would slow a test on a shared host. */
export async function launchChromium(): Promise<Browser> {
  // Imported here so that benchmarks and tests without a browser never load playwright-core.
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}
