// A glob as a Thompson NFA run by a lazily built DFA: matching is linear in the input length, whatever the pattern.
//
// picomatch compiles globs to backtracking regexes; `*a*a*a*a*[b]` on a long run of 'a' then takes
// exponential time on the event loop. Here each input code unit costs one table lookup once the
// DFA state is known, and at most one pass over the NFA (bounded by the pattern length) when it is
// not. The DFA cache is bounded; when full it is dropped and rebuilt, which costs time, never
// correctness.

import type { GlobNode, ParsedGlob } from './glob-parse.js';

const K_CHAR = 0;
const K_CLASS = 1;
/** Any code unit but '/'. */
const K_ONE = 2;
/** Any code unit. */
const K_ANY = 3;
const K_SPLIT = 4;
const K_MATCH = 5;
/** Consumes nothing and holds only at the end of the input. */
const K_EOS = 6;
/** Consumes nothing and holds only before another input character (picomatch's `(?=.)`). */
const K_MORE = 7;

const SLASH = 47;
/** DFA states kept before the cache is dropped (each holds a 128-entry ASCII table). */
const MAX_DFA_STATES = 2048;

interface DState {
  /** NFA states (no splits), ascending. */
  readonly set: Int32Array;
  readonly accept: boolean;
  readonly dead: boolean;
  readonly ascii: (DState | undefined)[];
  other: Map<number, DState> | null;
}

class Nfa {
  readonly kind: number[] = [];
  readonly arg: number[] = [];
  readonly out1: number[] = [];
  readonly out2: number[] = [];
  readonly classes: { ranges: number[]; neg: boolean }[] = [];

  add(kind: number, arg: number, out1: number, out2 = -1): number {
    this.kind.push(kind);
    this.arg.push(arg);
    this.out1.push(out1);
    this.out2.push(out2);
    return this.kind.length - 1;
  }

  /** Compiles `seq` so that it continues with state `next`; returns its entry state. */
  seq(seq: readonly GlobNode[], next: number): number {
    let cur = next;
    for (let k = seq.length - 1; k >= 0; k--) cur = this.node(seq[k]!, cur);
    return cur;
  }

  node(n: GlobNode, next: number): number {
    switch (n.t) {
      case 'lit':
        return this.add(K_CHAR, n.c, next);
      case 'one':
        return this.add(K_ONE, 0, next);
      case 'class':
        this.classes.push({ ranges: n.ranges, neg: n.neg });
        return this.add(K_CLASS, this.classes.length - 1, next);
      case 'star':
      case 'all': {
        const split = this.add(K_SPLIT, 0, -1, next);
        this.out1[split] = this.add(n.t === 'star' ? K_ONE : K_ANY, 0, split);
        return n.t === 'star' && n.plus ? this.add(K_MORE, 0, split) : split;
      }
      case 'opt':
        return this.add(K_SPLIT, 0, this.seq(n.seq, next), next);
      case 'eos':
        return this.add(K_EOS, 0, next);
      case 'alt': {
        let entry = -1;
        for (let a = n.alts.length - 1; a >= 0; a--) {
          const start = this.seq(n.alts[a]!, next);
          entry = entry < 0 ? start : this.add(K_SPLIT, 0, start, entry);
        }
        return entry;
      }
    }
  }

  accepts(s: number, c: number): boolean {
    switch (this.kind[s]) {
      case K_CHAR:
        return this.arg[s] === c;
      case K_ONE:
        return c !== SLASH;
      case K_ANY:
        return true;
      case K_CLASS: {
        if (c === SLASH) return false;
        const { ranges, neg } = this.classes[this.arg[s]!]!;
        let hit = false;
        for (let i = 0; i < ranges.length && !hit; i += 2) hit = c >= ranges[i]! && c <= ranges[i + 1]!;
        return hit !== neg;
      }
      default:
        return false;
    }
  }
}

/** The compiled matcher: feed it whole strings. */
export class GlobAutomaton {
  readonly #nfa = new Nfa();
  readonly #entry: number;
  readonly #negated: boolean;
  #states = new Map<string, DState>();
  #start: DState;
  /** Visit marks for the epsilon closure (generation-stamped, so never cleared). */
  readonly #mark: Int32Array;
  #gen = 0;

  constructor(g: ParsedGlob) {
    const match = this.#nfa.add(K_MATCH, 0, -1);
    this.#entry = this.#nfa.seq(g.seq, match);
    this.#negated = g.negated;
    this.#mark = new Int32Array(this.#nfa.kind.length);
    const set = this.#closure([this.#entry]);
    this.#start = this.#newState(set);
    this.#states.set(set.join(','), this.#start);
  }

  /** NFA states reachable from `from` through splits, splits left out, ascending. */
  #closure(from: readonly number[]): Int32Array {
    const nfa = this.#nfa;
    const gen = ++this.#gen;
    const out: number[] = [];
    const stack = [...from];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (this.#mark[s] === gen) continue;
      this.#mark[s] = gen;
      if (nfa.kind[s] === K_SPLIT) {
        stack.push(nfa.out2[s]!, nfa.out1[s]!);
      } else out.push(s);
    }
    return Int32Array.from(out).sort();
  }

  #intern(set: Int32Array): DState {
    const key = set.join(',');
    let st = this.#states.get(key);
    if (st === undefined) {
      if (this.#states.size >= MAX_DFA_STATES) {
        // Start over from a fresh start state, so no old state stays reachable through a table.
        this.#states = new Map();
        this.#start = this.#newState(this.#start.set);
        this.#states.set(this.#start.set.join(','), this.#start);
      }
      st = this.#newState(set);
      this.#states.set(key, st);
    }
    return st;
  }

  #newState(set: Int32Array): DState {
    let accept = false;
    for (const s of set) if (this.#acceptsAtEnd(s, 0)) accept = true;
    return { set, accept, dead: set.length === 0, ascii: new Array<DState | undefined>(128), other: null };
  }

  /**
   * Whether state `s` accepts when the input ends here: MATCH, or an end assertion whose continuation
   * can match empty. Assertions chain only through globstar groups, so the depth bound never binds.
   */
  #acceptsAtEnd(s: number, depth: number): boolean {
    const nfa = this.#nfa;
    if (nfa.kind[s] === K_MATCH) return true;
    if (nfa.kind[s] !== K_EOS || depth > 64) return false;
    for (const t of this.#closure([nfa.out1[s]!])) if (this.#acceptsAtEnd(t, depth + 1)) return true;
    return false;
  }

  /** Consuming `c`: a 'more input follows' assertion holds, an end assertion does not. */
  #consume(s: number, c: number, next: number[], depth: number): void {
    const nfa = this.#nfa;
    if (nfa.kind[s] === K_MORE) {
      if (depth <= 64) for (const t of this.#closure([nfa.out1[s]!])) this.#consume(t, c, next, depth + 1);
    } else if (nfa.accepts(s, c)) next.push(nfa.out1[s]!);
  }

  #step(st: DState, c: number): DState {
    const next: number[] = [];
    for (const s of st.set) this.#consume(s, c, next, 0);
    const to = this.#intern(this.#closure(next));
    if (c < 128) st.ascii[c] = to;
    else (st.other ??= new Map()).set(c, to);
    return to;
  }

  test(s: string): boolean {
    let st = this.#start;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      st = (c < 128 ? st.ascii[c] : st.other?.get(c)) ?? this.#step(st, c);
      if (st.dead) return this.#negated;
    }
    return st.accept !== this.#negated;
  }
}
