// Public surface of @fustor/protocol: wire types, validators, path helpers and error codes.

export * from './errors.js';
export * from './paths.js';
export * from './schemas.js';
export * from './listings.js';
export * from './ingest-answers.js';
export * from './queries.js';
export * from './responses.js';
export * from './subscriptions.js';
export * from './cluster.js';
export * from './answers.js';
export * from './validate.js';
export * from './utf8.js';
export * from './runtime/index.js';
export * from './admin.js';
export * from './config/index.js';

export const PROTOCOL_VERSION = 'v1';
export const API_BASE = '/api/v1';
