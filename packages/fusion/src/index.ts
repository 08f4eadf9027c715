// Public surface of @fustor/fusion: the server, its config, sessions, auth and the engine contract.

export * from './errors.js';
export * from './config/index.js';
export * from './auth/index.js';
export * from './sessions/index.js';
export * from './server/index.js';
export * from './contract.js';
export { openViewStore } from './views/open-view-store.js';
export { main } from './cli/main.js';
