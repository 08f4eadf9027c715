// @fustor/agent public surface: config loading, the agent supervisor, pipes, sender, spool, console.

export * from './errors.js';
export * from './config/types.js';
export { loadConfig, parseConfig, pipeSpecs, resolveHome, resolveConfigPath, CONFIG_FILE_NAME } from './config/load.js';
export { validateConfig, DEFAULTS } from './config/validate.js';
export { Agent, defaultSender, type AgentStatus, type ReloadResult } from './agent.js';
export { Pipe, AGENT_VERSION, type PipeDeps } from './pipes/pipe.js';
export { PIPE_STATES, type PipeState, type PipeStatus } from './pipes/status.js';
export { Backoff } from './common/backoff.js';
export { FusionSender } from './senders/fusion-sender.js';
export type { Sender } from './senders/types.js';
export { Spool } from './spool/spool.js';
export { ConsoleServer } from './console/server.js';
export { agentFiles } from './cli/paths.js';
