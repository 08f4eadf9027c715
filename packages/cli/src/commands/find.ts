// `fustor find PATTERN [--path P] [--type f|d] [--owner U] [--min-size 1G] [--newer 2d]`: paths of matching nodes.

import type { SearchAnswer, TreeNode } from '@fustor/protocol';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { parseDuration, parseSize, viewPath } from '../format.js';
import { marks } from './node-line.js';

export interface FindOptions {
  path?: string;
  type?: string;
  owner?: string;
  group?: string;
  minSize?: string;
  maxSize?: string;
  newer?: string;
  older?: string;
}

const TYPES: Record<string, 'file' | 'dir'> = { f: 'file', file: 'file', d: 'dir', dir: 'dir' };

export async function findCommand(ctx: CommandContext, pattern: string, o: FindOptions): Promise<void> {
  const type = o.type === undefined ? 'any' : TYPES[o.type];
  if (!type) throw new CliError(`--type: '${o.type}' is not f or d`, EXIT.USAGE);
  const now = Date.now();
  const query = {
    pattern,
    path: viewPath(o.path),
    type,
    owner: o.owner,
    group: o.group,
    min_size: o.minSize === undefined ? undefined : parseSize(o.minSize, '--min-size'),
    max_size: o.maxSize === undefined ? undefined : parseSize(o.maxSize, '--max-size'),
    modified_after_ms: o.newer === undefined ? undefined : now - parseDuration(o.newer, '--newer'),
    modified_before_ms: o.older === undefined ? undefined : now - parseDuration(o.older, '--older'),
    sort_by: 'path',
  };
  const found: TreeNode[] = [];
  for (let page = 1; ; page++) {
    const a = await ctx.http.get<SearchAnswer>(await ctx.viewPath('/search'), { ...query, page, page_size: 1000 }, ctx.signal);
    if (ctx.json) found.push(...a.items);
    else for (const n of a.items) ctx.out(`${n.path}${n.is_dir && n.path !== '/' ? '/' : ''}${marks(n) ? `  ${marks(n)}` : ''}`);
    if (page >= a.pages) break;
  }
  if (ctx.json) ctx.printJson(found);
}
