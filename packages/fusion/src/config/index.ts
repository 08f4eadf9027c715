// Fusion configuration: load, validate, defaults.

export * from './types.js';
export * from './defaults.js';
export * from './validate.js';
export * from './load.js';
export * from './schema.js';
