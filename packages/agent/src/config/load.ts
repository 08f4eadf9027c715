// Finds FUSTOR_HOME and agent-config.yaml, parses the YAML and validates it before anything starts.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import type { PipeSpec, ResolvedConfig } from './types.js';
import { validateConfig } from './validate.js';

export const CONFIG_FILE_NAME = 'agent-config.yaml';

export interface HomeOptions {
  home?: string;
  config?: string;
  env?: NodeJS.ProcessEnv;
}

/** --home, then FUSTOR_HOME, then ~/.fustor. */
export function resolveHome(opts: HomeOptions = {}): string {
  const env = opts.env ?? process.env;
  return resolve(opts.home ?? env.FUSTOR_HOME ?? join(homedir(), '.fustor'));
}

export function resolveConfigPath(opts: HomeOptions = {}): string {
  return opts.config ? resolve(opts.config) : join(resolveHome(opts), CONFIG_FILE_NAME);
}

/** Reads, parses and validates; throws ConfigError naming the file, key path and fix. */
export function loadConfig(opts: HomeOptions & { checkDirs?: boolean } = {}): ResolvedConfig {
  const file = resolveConfigPath(opts);
  const home = resolveHome(opts);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, '', code === 'ENOENT' ? 'file not found' : `cannot read (${code})`,
      code === 'ENOENT' ? `create it (see config/agent-config.yaml for an example) or pass --home/--config` : 'check its permissions');
  }
  return parseConfig(text, { file, home, checkDirs: opts.checkDirs });
}

export function parseConfig(text: string, opts: { file: string; home: string; checkDirs?: boolean }): ResolvedConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new ConfigError(opts.file, where, `YAML syntax error: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?\s*$/, '')}`, 'fix the YAML syntax (indentation, quotes, colons)');
  }
  return validateConfig(doc.toJS(), opts);
}

/** The enabled pipes with their source and sender resolved, keyed by pipe id. */
export function pipeSpecs(cfg: ResolvedConfig): Map<string, PipeSpec> {
  const out = new Map<string, PipeSpec>();
  for (const pipe of cfg.pipes) {
    if (!pipe.enabled) continue;
    out.set(pipe.id, {
      pipe,
      source: cfg.sources.find((s) => s.id === pipe.source_id)!,
      sender: cfg.senders.find((s) => s.id === pipe.sender_id)!,
      agent_id: cfg.agent_id,
      spool: cfg.spool,
    });
  }
  return out;
}

/** Stable fingerprint of everything a running pipe depends on; a change means restart it. */
export function specFingerprint(spec: PipeSpec): string {
  return JSON.stringify(spec);
}
