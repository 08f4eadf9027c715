// Authentication and authorization.

export * from './key-registry.js';
export * from './rate-limiter.js';
export * from './access.js';
