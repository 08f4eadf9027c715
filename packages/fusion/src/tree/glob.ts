// Glob matchers for search: a fast path for base-name patterns made only of literals and '*', a linear-time automaton for the rest.

import { ValidationError } from '../errors.js';
import { GlobAutomaton } from './glob-nfa.js';
import { GlobSyntaxError, parseGlob } from './glob-parse.js';

export type Matcher = (s: string) => boolean;

/**
 * picomatch's semantics with `dot: true` (dot-files match `*`) for `*`, `?`, `**`, `[...]`,
 * `{a,b}` and a leading `!`, matched in time linear in the input whatever the pattern
 * (docs/api.md, "Search patterns", lists the differences). A base-name pattern of literals and
 * stars is a prefix / ordered infixes / suffix test, which avoids the automaton per name.
 * Throws ValidationError (400 40001, field `pattern`) for a pattern it does not support.
 */
export function compileGlob(pattern: string): Matcher {
  if (pattern.includes('/') || /[?[\]{}()!+@\\]/.test(pattern)) {
    let auto: GlobAutomaton;
    try {
      auto = new GlobAutomaton(parseGlob(pattern));
    } catch (err) {
      if (err instanceof GlobSyntaxError) throw new ValidationError('pattern', `'${pattern}' ${err.message}`);
      throw err;
    }
    return (s) => auto.test(s);
  }
  const parts = pattern.split('*');
  if (parts.length === 1) return (s) => s === pattern;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((p) => p !== '');
  const minLen = first.length + last.length;
  return (s) => {
    if (s.length === 0 || s.length < minLen || !s.startsWith(first) || !s.endsWith(last)) return false;
    let at = first.length;
    const end = s.length - last.length;
    for (const m of middle) {
      const i = s.indexOf(m, at);
      if (i < 0 || i + m.length > end) return false;
      at = i + m.length;
    }
    return true;
  };
}
