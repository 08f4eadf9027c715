// Daemon runtime shared by the agent and Fusion CLIs: logging, pid files, detach/stop/status/reload.

export * from './logger.js';
export * from './pid-file.js';
export * from './daemon.js';
export * from './port-file.js';
