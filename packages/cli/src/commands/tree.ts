// `fustor tree PATH [--depth N]`: the subtree drawn with box characters, sizes of files, truncated levels counted.

import type { TreeAnswer, TreeNode } from '@fustor/protocol';
import type { CommandContext } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { formatSize, viewPath } from '../format.js';
import { displayName, marks } from './node-line.js';

const MAX_DEPTH = 10;

function draw(n: TreeNode, prefix: string, out: (l: string) => void): void {
  const kids = n.children;
  if (!kids) return;
  const more = kids.total - kids.items.length;
  kids.items.forEach((c, i) => {
    const last = i === kids.items.length - 1 && more <= 0;
    const info = [c.is_dir ? '' : formatSize(c.size), marks(c)].filter(Boolean).join(' ');
    out(`${prefix}${last ? '└── ' : '├── '}${displayName(c)}${info ? `  ${info}` : ''}`);
    draw(c, prefix + (last ? '    ' : '│   '), out);
  });
  if (more > 0) out(`${prefix}└── … ${more} more`);
}

export async function treeCommand(ctx: CommandContext, pathArg: string, o: { depth?: string }): Promise<void> {
  const depth = o.depth === undefined ? 2 : Number(o.depth);
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_DEPTH) throw new CliError(`--depth: '${o.depth}' must be an integer from 1 to ${MAX_DEPTH}`, EXIT.USAGE);
  const a = await ctx.http.get<TreeAnswer>(await ctx.viewPath('/tree'), { path: viewPath(pathArg), depth, page_size: 1000 }, ctx.signal);
  if (ctx.json) return ctx.printJson(a.node);
  ctx.out(displayName({ ...a.node, name: a.node.path }));
  draw(a.node, '', ctx.out);
  if (a.partial) ctx.err('note: the view has no complete snapshot yet; the tree may be incomplete');
}
