// `fustor ls [PATH] [-l] [--sort size|mtime|name]`: a directory's children (every page), or the file itself.

import type { TreeAnswer, TreeNode } from '@fustor/protocol';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { table, viewPath } from '../format.js';
import { displayName, LONG_ALIGN, LONG_HEADER, longColumns, marks } from './node-line.js';

export interface LsOptions {
  long?: boolean;
  sort?: string;
}

const SORTS = ['name', 'size', 'mtime'] as const;

/** Children of `path` in the wanted order, all pages; the node itself when it is a file. */
export async function listDir(ctx: CommandContext, path: string, sort: (typeof SORTS)[number]): Promise<{ node: TreeNode; items: TreeNode[] }> {
  // like ls -S and ls -t: largest and newest first
  const order = sort === 'name' ? 'asc' : 'desc';
  const items: TreeNode[] = [];
  let node: TreeNode | null = null;
  for (let page = 1; ; page++) {
    const a = await ctx.http.get<TreeAnswer>(await ctx.viewPath('/tree'), { path, depth: 1, page, page_size: 1000, sort_by: sort, sort_order: order }, ctx.signal);
    node = a.node;
    const kids = a.node.children;
    if (!kids) break;
    items.push(...kids.items);
    if (page >= kids.pages) break;
  }
  return { node: node!, items: node!.is_dir ? items : [node!] };
}

export async function lsCommand(ctx: CommandContext, pathArg: string | undefined, o: LsOptions): Promise<void> {
  const sort = (o.sort ?? 'name') as (typeof SORTS)[number];
  if (!SORTS.includes(sort)) throw new CliError(`--sort: '${o.sort}' is not one of ${SORTS.join(', ')}`, EXIT.USAGE);
  const { items } = await listDir(ctx, viewPath(pathArg), sort);
  if (ctx.json) return ctx.printJson(items);
  if (!o.long) {
    for (const n of items) ctx.out(`${displayName(n)}${marks(n) ? `  ${marks(n)}` : ''}`);
    return;
  }
  const now = Date.now();
  for (const l of table(LONG_HEADER, items.map((n) => longColumns(n, now)), [...LONG_ALIGN])) ctx.out(l);
}
