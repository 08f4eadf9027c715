// Config building blocks shared by agent-config.yaml and fusion-config.yaml.

export * from './problem.js';
export * from './suggest.js';
export * from './ids.js';
export * from './section.js';
export * from './document.js';
