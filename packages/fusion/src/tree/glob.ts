// Glob matchers for search: a fast path for base-name patterns made only of literals and '*', picomatch for the rest.

import picomatch from 'picomatch';

export type Matcher = (s: string) => boolean;

/**
 * Same semantics as picomatch with `dot: true` (dot-files match `*`). A base-name pattern of
 * literals and stars is a prefix / ordered infixes / suffix test, which avoids a regex per name.
 */
export function compileGlob(pattern: string): Matcher {
  if (pattern.includes('/') || /[?[\]{}()!+@\\]/.test(pattern)) {
    // The compiled regex, not picomatch's matcher function: the latter re-normalizes every input (~18x slower).
    const re = picomatch.makeRe(pattern, { dot: true });
    return (s) => re.test(s);
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
