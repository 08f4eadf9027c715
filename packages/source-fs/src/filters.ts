// file_pattern (glob on the file name) and exclude (globs on the view path) as fast predicates.

import picomatch from 'picomatch';

export interface Filters {
  /** True when a file (not a directory) with this base name passes file_pattern. */
  fileName(name: string): boolean;
  /** True when the view path (file or directory) is excluded; an excluded directory skips its subtree. */
  excluded(viewPath: string): boolean;
  readonly hasExclude: boolean;
  /** True when file_pattern takes every name (fileName is true for all). */
  readonly allFiles: boolean;
}

export function createFilters(filePattern: string, exclude: readonly string[]): Filters {
  const all = filePattern === '*' || filePattern === '**';
  // dot:true because a pattern like '*' must still see '.hidden' files: the index mirrors the tree.
  const nameMatch = all ? () => true : picomatch(filePattern, { dot: true });
  const hasExclude = exclude.length > 0;
  const ex = hasExclude ? picomatch(exclude as string[], { dot: true }) : () => false;
  return {
    fileName: (name) => nameMatch(name),
    // View paths start with '/'; globs like '**/x/**' are written relative, so match without it.
    excluded: hasExclude ? (p) => p !== '/' && ex(p.slice(1)) : () => false,
    hasExclude,
    allFiles: all,
  };
}
