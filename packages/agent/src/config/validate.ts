// agent-config.yaml → frozen ResolvedConfig: the strict schema (defaults, unknown and renamed keys), then
// the rules across entries (unique ids, references between pipes, sources and senders) and the source
// directories, all before any watcher or listener starts.

import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, deepFreeze, parseConfigDocument } from '@fustor/protocol';
import { agentConfigSchema, type ParsedAgentConfig } from './schema.js';
import type { ResolvedConfig, SourceConfig } from './types.js';

export { DEFAULTS } from './schema.js';

export interface ValidateOptions {
  file: string;
  home: string;
  /** Check that source directories exist (off only in tests of other rules). */
  checkDirs?: boolean;
}

/** Turns the parsed YAML document into a frozen ResolvedConfig, or throws the first ConfigError. */
export function validateConfig(doc: unknown, opts: ValidateOptions): ResolvedConfig {
  const { file } = opts;
  const cfg = parseConfigDocument(agentConfigSchema, doc, file);
  uniqueIds(file, 'sources', cfg.sources);
  uniqueIds(file, 'senders', cfg.senders);
  uniqueIds(file, 'pipes', cfg.pipes);
  checkReferences(file, cfg);
  const checkDirs = opts.checkDirs ?? true;
  const sources = cfg.sources.map((s, i) => withUri(file, s, i, checkDirs));
  return deepFreeze({
    file,
    home: opts.home,
    agent_id: cfg.agent_id,
    console: cfg.console,
    spool: cfg.spool,
    logging: cfg.logging,
    sources,
    senders: cfg.senders,
    pipes: cfg.pipes.map((p) => ({ ...p, spool_max_mb: p.spool_max_mb ?? cfg.spool.max_mb })),
  });
}

function uniqueIds(file: string, list: string, items: ReadonlyArray<{ id: string }>): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.id);
    if (first !== undefined) {
      throw new ConfigError(file, `${list}[${i}].id`, `duplicate id '${item.id}' (also ${list}[${first}].id)`, 'give every entry its own id');
    }
    seen.set(item.id, i);
  });
}

/** A pipe naming a source or sender that is not defined: the error names the pipe by index and id. */
function checkReferences(file: string, cfg: ParsedAgentConfig): void {
  cfg.pipes.forEach((p, i) => {
    const where = `pipes[${i}] (id '${p.id}')`;
    if (!cfg.sources.some((s) => s.id === p.source_id)) {
      throw new ConfigError(file, `${where}.source_id`, `no source '${p.source_id}'`, `defined sources: ${cfg.sources.map((s) => s.id).join(', ') || 'none (add one under sources:)'}`);
    }
    if (!cfg.senders.some((s) => s.id === p.sender_id)) {
      throw new ConfigError(file, `${where}.sender_id`, `no sender '${p.sender_id}'`, `defined senders: ${cfg.senders.map((s) => s.id).join(', ') || 'none (add one under senders:)'}`);
    }
  });
}

/** uri → an absolute local path (file:// accepted), and with checkDirs an existing directory. */
function withUri(file: string, source: SourceConfig, i: number, checkDirs: boolean): SourceConfig {
  const key = `sources[${i}].config.uri`;
  let uri = source.config.uri;
  if (uri.startsWith('file://')) uri = fileURLToPath(uri);
  if (!isAbsolute(uri)) throw new ConfigError(file, key, `'${uri}' is a relative path`, 'use an absolute path such as /data/research');
  if (checkDirs) {
    let isDir = false;
    try {
      isDir = statSync(uri).isDirectory();
    } catch {
      throw new ConfigError(file, key, `directory '${uri}' does not exist or cannot be read`, 'create it, mount the storage, or fix the path');
    }
    if (!isDir) throw new ConfigError(file, key, `'${uri}' is not a directory`, 'point uri at the directory to watch');
  }
  return { ...source, config: { ...source.config, uri } };
}
