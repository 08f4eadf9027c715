// Where `fustor` finds Fusion: --url/--key/--view, else FUSTOR_URL/FUSTOR_KEY/FUSTOR_VIEW, else $FUSTOR_HOME/client.yaml.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { CliError, EXIT, suggest } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:8102';
const FILE_KEYS = ['url', 'key', 'view'] as const;
type FileKey = (typeof FILE_KEYS)[number];

export interface GlobalOptions {
  url?: string;
  key?: string;
  view?: string;
  json?: boolean;
}

export interface Settings {
  url: string;
  key: string;
  /** null: the only view the key may read (asked from Fusion when needed). */
  view: string | null;
  json: boolean;
}

export function clientFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.FUSTOR_HOME || join(homedir(), '.fustor'), 'client.yaml');
}

/** client.yaml: a map of url, key and view; anything else is a mistake worth naming. */
function readClientFile(file: string): Partial<Record<FileKey, string>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`${file}: ${(err as Error).message}`, EXIT.USAGE);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new CliError(`${file}: ${doc.errors[0]!.message.split('\n')[0]}`, EXIT.USAGE, 'fix the YAML (keys: url, key, view)');
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data) || data === null) throw new CliError(`${file}: expected a map with url, key and view`, EXIT.USAGE);
  const out: Partial<Record<FileKey, string>> = {};
  for (const [k, v] of Object.entries(data)) {
    if (!(FILE_KEYS as readonly string[]).includes(k)) {
      const near = suggest(k, FILE_KEYS);
      throw new CliError(`${file}: unknown key '${k}'${near ? ` (did you mean '${near}'?)` : ''}`, EXIT.USAGE, 'client.yaml takes url, key and view');
    }
    if (typeof v !== 'string' || v === '') throw new CliError(`${file}: ${k} must be a non-empty string`, EXIT.USAGE);
    out[k as FileKey] = v;
  }
  return out;
}

export function resolveSettings(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Settings {
  const file = clientFile(env);
  const fromFile = readClientFile(file);
  const pick = (flag: string | undefined, envName: string, key: FileKey) => flag || env[envName] || fromFile[key] || undefined;
  const url = (pick(opts.url, 'FUSTOR_URL', 'url') ?? DEFAULT_URL).replace(/\/+$/, '');
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new CliError(`'${url}' is not an http(s) URL`, EXIT.USAGE, 'pass --url http://host:8102 (or set FUSTOR_URL)');
  }
  const key = pick(opts.key, 'FUSTOR_KEY', 'key');
  if (!key) {
    throw new CliError('no API key', EXIT.USAGE, `pass --key, set FUSTOR_KEY, or write "key: ..." to ${file} (a read key: fustor-fusion keys create --role read)`);
  }
  return { url, key, view: pick(opts.view, 'FUSTOR_VIEW', 'view') ?? null, json: opts.json === true };
}
