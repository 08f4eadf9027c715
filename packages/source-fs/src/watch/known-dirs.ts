// The hierarchy of directories a backend knows (watched or not), so a removed subtree is dropped in O(subtree).

import { parentOf } from '@fustor/protocol';

export class KnownDirs {
  #kids = new Map<string, Set<string>>();
  #registered = new Set<string>(['/']);

  get size(): number {
    return this.#registered.size;
  }

  has(view: string): boolean {
    return this.#registered.has(view);
  }

  /** Registers `view` and any missing ancestors; returns how many were new. */
  add(view: string): number {
    let added = 0;
    while (view !== '/' && !this.#registered.has(view)) {
      this.#registered.add(view);
      added++;
      const parent = parentOf(view)!;
      let set = this.#kids.get(parent);
      if (set === undefined) this.#kids.set(parent, (set = new Set()));
      set.add(view);
      view = parent;
    }
    return added;
  }

  /** Forgets `view` and everything known below it, calling `each` for every one; returns how many. */
  removeSubtree(view: string, each: (v: string) => void = () => undefined): number {
    let removed = 0;
    const stack = [view];
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (!this.#registered.delete(v)) continue;
      removed++;
      each(v);
      const kids = this.#kids.get(v);
      if (kids) for (const k of kids) stack.push(k);
      this.#kids.delete(v);
    }
    if (view !== '/') this.#kids.get(parentOf(view) ?? '/')?.delete(view);
    return removed;
  }

  clear(): void {
    this.#kids.clear();
    this.#registered.clear();
  }
}
