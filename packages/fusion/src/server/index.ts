// HTTP server assembly.

export * from './fusion-server.js';
export * from './metrics.js';
export * from './envelope.js';
export { jsonBody, jsonDepthExceeds, MAX_JSON_DEPTH } from './body.js';
export { errorHandler } from './error-handler.js';
