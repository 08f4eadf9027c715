// Test layout: unit/integration tests live beside each package; multi-process e2e tests in test/e2e run the built dist/.
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
const alias = {
  // Before '@fustor/protocol': the first matching prefix wins.
  '@fustor/protocol/listing-codec': fileURLToPath(new URL('./packages/protocol/src/listing-codec.ts', import.meta.url)),
  '@fustor/protocol': src('protocol'),
  '@fustor/source-fs': src('source-fs'),
  '@fustor/test-helpers': src('test-helpers'),
};

export default defineConfig({
  test: {
    // Vitest's default on this 2-core machine is one worker (cores − 1). Most test time is waiting on child
    // processes, sockets and timers, so two workers finish the suite far sooner without starving either.
    maxWorkers: 2,
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
