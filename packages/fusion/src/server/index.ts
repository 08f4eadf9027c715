// HTTP server assembly.

export * from './fusion-server.js';
export * from './metrics.js';
export * from './envelope.js';
export { illFormedField, jsonDepthExceeds, MAX_JSON_DEPTH, readJsonBody } from './body.js';
export { errorHandler } from './error-handler.js';
