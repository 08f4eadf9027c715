// Sessions, leader election, commands and on-demand jobs.

export * from './session-manager.js';
export * from './command-queue.js';
export * from './jobs.js';
