// @fustor/test-helpers: the one wait, temp-tree builder and seeded random generator used by tests and benchmarks.

export * from './wait.js';
export * from './tree.js';
export * from './random.js';
export * from './pg-cluster.js';
export * from './browser.js';
