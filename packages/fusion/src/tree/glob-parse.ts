// Glob syntax → a small tree of nodes (literals, '?', '*', '**', classes, braces), for the linear-time matcher of glob-nfa.ts.
//
// The grammar is picomatch's (with dot: true) restricted to what a file search needs; constructs it
// does not support are refused with a GlobSyntaxError naming the construct instead of being guessed.

/** One matching element; character codes are UTF-16 code units, as in a JavaScript regex without the u flag. */
export type GlobNode =
  | { t: 'lit'; c: number }
  /** '?': one code unit other than '/'. */
  | { t: 'one' }
  /** '*': any run of code units without '/'; `plus`: at least one. */
  | { t: 'star'; plus?: boolean }
  /** '**' as a whole segment: any run, '/' included. */
  | { t: 'all' }
  /** '[...]': `ranges` holds [lo, hi] pairs; never matches '/'. */
  | { t: 'class'; ranges: number[]; neg: boolean }
  | { t: 'opt'; seq: GlobNode[] }
  /** Matches only at the end of the input (picomatch's '$' inside a globstar group). */
  | { t: 'eos' }
  | { t: 'alt'; alts: GlobNode[][] };

export interface ParsedGlob {
  /** A leading '!' (odd count) inverts the whole match. */
  negated: boolean;
  seq: GlobNode[];
}

export class GlobSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GlobSyntaxError';
  }
}

const SLASH = 47;

// picomatch's POSIX classes (lib/constants.js), ASCII only.
const POSIX: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  ascii: '\x00-\x7f',
  blank: ' \t',
  cntrl: '\x00-\x1f\x7f-\x7f',
  digit: '0-9',
  graph: '\x21-\x7e',
  lower: 'a-z',
  print: '\x20-\x7e',
  punct: '!-/:-@[-`{-~',
  space: ' \t\r\n\v\f',
  upper: 'A-Z',
  word: 'A-Za-z0-9_',
  xdigit: 'A-Fa-f0-9',
};

/** 'a-zA-Z_' → [97,122,65,90,95,95]. */
function rangesOf(spec: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < spec.length; i++) {
    const lo = spec.charCodeAt(i);
    if (spec[i + 1] === '-' && i + 2 < spec.length) {
      out.push(lo, spec.charCodeAt(i + 2));
      i += 2;
    } else out.push(lo, lo);
  }
  return out;
}

class Parser {
  readonly #p: string;
  readonly #body: number;
  constructor(p: string, body: number) {
    this.#p = p;
    this.#body = body;
  }

  /** Parses p[from, to); `group` is true for a brace alternative (its edges count as segment edges for '**'). */
  seq(from: number, to: number, group: boolean): GlobNode[] {
    const p = this.#p;
    const out: GlobNode[] = [];
    let i = from;
    while (i < to) {
      const ch = p[i]!;
      if (ch === '\\') {
        if (i + 1 >= to) throw new GlobSyntaxError("ends with a lone '\\' (escape a backslash as '\\\\')");
        out.push({ t: 'lit', c: p.charCodeAt(i + 1) });
        i += 2;
      } else if (ch === '?') {
        out.push({ t: 'one' });
        i++;
      } else if (ch === '*') {
        let j = i;
        while (j < to && p[j] === '*') j++;
        if (j - i === 2) i = this.#stars(out, i, j, from, to, group);
        else {
          out.push(this.#star(i, j, group));
          i = j;
        }
      } else if (ch === '[') {
        i = this.#bracket(out, i, to);
      } else if (ch === '{') {
        i = this.#brace(out, i, to);
      } else if (ch === '(' || ch === ')') {
        throw new GlobSyntaxError(`groups and extglobs ('${ch}') are not supported: use {a,b} for alternatives, or escape it as '\\${ch}'`);
      } else {
        out.push({ t: 'lit', c: p.charCodeAt(i) });
        i++;
      }
    }
    return out;
  }

  /**
   * A star run at p[i, j) that is not a globstar. picomatch adds `(?=.)` to a single star that opens
   * a segment (or follows a leading '.'): it cannot match at the end of the input, which on valid
   * view paths (no empty segment) is the same as matching at least one character.
   */
  #star(i: number, j: number, group: boolean): GlobNode {
    const p = this.#p;
    const prev = i === this.#body ? '/' : p[i - 1];
    const dotToken = prev === '.' && (i - 1 === this.#body || p[i - 2] === '/' || group);
    return { t: 'star', plus: j - i === 1 && (prev === '/' || dotToken) };
  }

  /**
   * '**' at p[i, j): a globstar when it stands for whole segments, else the same as '*' (so is a run
   * of three or more). The cases follow picomatch's parser (lib/parse.js, "Stars") one by one.
   */
  #stars(out: GlobNode[], i: number, j: number, from: number, to: number, group: boolean): number {
    const p = this.#p;
    const atBos = i === this.#body;
    const afterSlash = i > from && p.charCodeAt(i - 1) === SLASH;
    const braceEdge = group && i === from;
    // picomatch keeps a globstar before '/', the end, a brace delimiter or a brace that opens
    const followed = (k: number) => k === p.length || (k < to && (p.charCodeAt(k) === SLASH || p[k] === '{')) || (group && k === to);
    if (!(atBos || afterSlash || braceEdge) || !followed(j)) {
      out.push({ t: 'star' });
      return j;
    }
    // '/**/**' is one globstar
    while (j + 3 <= to && p.startsWith('/**', j) && (j + 3 === p.length || p.charCodeAt(j + 3) === SLASH)) j += 3;
    const atEos = j === p.length;
    const nextSlash = j < to && p.charCodeAt(j) === SLASH;
    // a slash that opens the pattern ('/**/x') is kept as a plain '/'
    const innerSlash = afterSlash && i - 1 > this.#body;
    const before = out[out.length - 2]?.t;
    const afterStar = before === 'star' || before === 'all';
    const slashLit = out[out.length - 1]?.t === 'lit';
    if (innerSlash && !afterStar && atEos && slashLit) {
      // a trailing '/**' also matches the directory itself ('/a/**' matches '/a')
      out.pop();
      out.push({ t: 'opt', seq: [{ t: 'lit', c: SLASH }, { t: 'all' }] });
      return j;
    }
    if (innerSlash && nextSlash && slashLit) {
      // '/**/': zero or more whole segments between two slashes; at the end of the input the
      // rest of the pattern may match empty ('/a/**/{b,}' matches '/a'), as picomatch's '|$' does
      out.pop();
      const slash: GlobNode = { t: 'lit', c: SLASH };
      const alts: GlobNode[][] = [[slash, { t: 'all' }, slash], [slash]];
      if (j + 1 < p.length) alts.push([{ t: 'eos' }]);
      out.push({ t: 'alt', alts });
      return j + 1;
    }
    if (atBos && nextSlash) {
      // a leading '**/': zero or more whole segments, each with its '/'
      out.push({ t: 'opt', seq: [{ t: 'all' }, { t: 'lit', c: SLASH }] });
      return j + 1;
    }
    out.push({ t: 'all' });
    return j;
  }

  /** '[...]': a class when it is closed, else a literal '['. */
  #bracket(out: GlobNode[], i: number, to: number): number {
    const p = this.#p;
    let k = i + 1;
    const neg = p[k] === '!' || p[k] === '^';
    if (neg) k++;
    const ranges: number[] = [];
    let first = true;
    for (; k < to; k++) {
      const ch = p[k]!;
      if (ch === ']' && !first) break;
      first = false;
      if (ch === '[' && p[k + 1] === ':') {
        const end = p.indexOf(':]', k + 2);
        const name = end > 0 && end < to ? p.slice(k + 2, end) : '';
        if (POSIX[name] !== undefined) {
          ranges.push(...rangesOf(POSIX[name]!));
          k = end + 1;
          continue;
        }
        if (end > 0 && end < to && /^[a-z]+$/.test(name)) throw new GlobSyntaxError(`unknown character class '[:${name}:]'`);
      }
      let lo = p.charCodeAt(k);
      if (ch === '\\' && k + 1 < to) lo = p.charCodeAt(++k);
      if (p[k + 1] === '-' && k + 2 < to && p[k + 2] !== ']') {
        let hi = p.charCodeAt(k + 2);
        k += 2;
        if (p[k] === '\\' && k + 1 < to) hi = p.charCodeAt(++k);
        if (hi < lo) throw new GlobSyntaxError(`range '${String.fromCharCode(lo)}-${String.fromCharCode(hi)}' is reversed`);
        ranges.push(lo, hi);
      } else ranges.push(lo, lo);
    }
    if (k >= to) {
      out.push({ t: 'lit', c: 0x5b });
      return i + 1;
    }
    out.push({ t: 'class', ranges, neg });
    return k + 1;
  }

  /** '{a,b}' alternatives, '{x..y}' single-character ranges, otherwise literal braces around parsed content. */
  #brace(out: GlobNode[], i: number, to: number): number {
    const p = this.#p;
    const cuts: number[] = [i];
    let depth = 0;
    let end = -1;
    for (let k = i + 1; k < to; k++) {
      const ch = p[k];
      if (ch === '\\') k++;
      else if (ch === '[') {
        const close = p.indexOf(']', k + 2);
        if (close > 0 && close < to) k = close;
      } else if (ch === '{') depth++;
      else if (ch === '}') {
        if (depth === 0) {
          end = k;
          break;
        }
        depth--;
      } else if (ch === ',' && depth === 0) cuts.push(k);
    }
    if (end < 0) throw new GlobSyntaxError("has an unclosed '{' (escape a literal brace as '\\{')");
    if (cuts.length === 1) {
      const inner = p.slice(i + 1, end);
      const range = /^(.)\.\.(.)$/su.exec(inner);
      if (range) {
        const lo = range[1]!.charCodeAt(0);
        const hi = range[2]!.charCodeAt(0);
        if (hi < lo) throw new GlobSyntaxError(`range '{${inner}}' is reversed`);
        out.push({ t: 'class', ranges: [lo, hi], neg: false });
        return end + 1;
      }
      if (inner.includes('..')) throw new GlobSyntaxError(`range '{${inner}}' is not supported (only single characters, e.g. {a..f})`);
      out.push({ t: 'lit', c: 0x7b }, ...this.seq(i + 1, end, false), { t: 'lit', c: 0x7d });
      return end + 1;
    }
    cuts.push(end);
    const alts: GlobNode[][] = [];
    for (let a = 0; a + 1 < cuts.length; a++) alts.push(this.seq(cuts[a]! + 1, cuts[a + 1]!, true));
    out.push({ t: 'alt', alts });
    return end + 1;
  }
}

/** Parses a glob; throws GlobSyntaxError saying what is unsupported or malformed. */
export function parseGlob(pattern: string): ParsedGlob {
  let body = 0;
  while (pattern[body] === '!' && pattern[body + 1] !== '(' && body + 1 < pattern.length) body++;
  if (pattern[body] === '!' && pattern[body + 1] === '(') {
    throw new GlobSyntaxError("groups and extglobs ('!(') are not supported: use a leading '!' to invert the whole pattern");
  }
  for (const x of ['@(', '+(', '?(', '*(']) {
    if (pattern.includes(x)) throw new GlobSyntaxError(`extglobs ('${x}') are not supported: use {a,b} for alternatives`);
  }
  const negated = body % 2 === 1;
  // picomatch drops a leading './'
  if (pattern.startsWith('./', body)) body += 2;
  return { negated, seq: new Parser(pattern, body).seq(body, pattern.length, false) };
}
