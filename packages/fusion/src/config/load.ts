// Finds and reads fusion-config.yaml (--config FILE, or FUSTOR_HOME / --home, default ~/.fustor).

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { CONFIG_FILE_NAME } from './defaults.js';
import { resolveConfig } from './validate.js';
import type { FusionConfig } from './types.js';

export interface LoadOptions {
  home?: string;
  config?: string;
  env?: NodeJS.ProcessEnv;
}

/** --home, then FUSTOR_HOME, then ~/.fustor. */
export function resolveHome(opts: { home?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = opts.env ?? process.env;
  return resolve(opts.home ?? env.FUSTOR_HOME ?? join(homedir(), '.fustor'));
}

/**
 * Loads the config. An explicit --config that is missing is an error; a missing
 * <home>/fusion-config.yaml means embedded defaults (one view `default`, no file keys).
 */
export function loadConfig(opts: LoadOptions = {}): FusionConfig {
  const home = resolveHome(opts);
  const file = opts.config ? resolve(opts.config) : join(home, CONFIG_FILE_NAME);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !opts.config) return resolveConfig(undefined, null, home);
    throw new ConfigError(file, '', `cannot be read (${(err as Error).message})`, 'check the path given to --config or --home');
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, '', `is not valid YAML: ${(err as Error).message.split('\n')[0]}`, 'fix the YAML syntax (indentation, quotes, colons)');
  }
  return resolveConfig(raw ?? {}, file, home);
}
