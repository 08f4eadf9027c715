// A strict parser of the Prometheus text exposition format 0.0.4: throws on anything a scraper could misread
// (interleaved families, HELP/TYPE twice or missing, samples outside their family, bad labels or values).

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  help: string;
  type: PromType;
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<PromType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s: string, where: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  // Prometheus reads values with Go's ParseFloat, which takes NaN in any case (prom-client writes 'Nan')
  if (/^nan$/i.test(s)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${where}: '${s}' is not a float`);
  return Number(s);
}

/** Label block without braces: `a="x",b="y\"z"`. */
function parseLabels(s: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without '='`);
    const name = s.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name '${name}'`);
    if (s[eq + 1] !== '"') throw new Error(`${where}: label value of ${name} is not quoted`);
    let j = eq + 2;
    let v = '';
    for (;;) {
      if (j >= s.length) throw new Error(`${where}: unterminated value of ${name}`);
      const c = s[j]!;
      if (c === '"') break;
      if (c === '\\') {
        const n = s[j + 1];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else throw new Error(`${where}: bad escape \\${n} in ${name}`);
        j += 2;
      } else if (c === '\n') throw new Error(`${where}: raw newline in ${name}`);
      else (v += c), j++;
    }
    if (name in out) throw new Error(`${where}: label ${name} twice`);
    out[name] = v;
    i = j + 1;
    if (i < s.length) {
      if (s[i] !== ',') throw new Error(`${where}: expected ',' after ${name}`);
      i++;
    }
  }
  return out;
}

/** The family a sample name belongs to, given the family's type. */
function sampleBelongs(family: PromFamily, sample: string): boolean {
  if (family.type === 'histogram') return [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`].includes(sample);
  if (family.type === 'summary') return [family.name, `${family.name}_sum`, `${family.name}_count`].includes(sample);
  return sample === family.name;
}

export function parsePromText(text: string): Map<string, PromFamily> {
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const families = new Map<string, PromFamily>();
  const series = new Set<string>();
  let current: PromFamily | null = null;
  let pendingHelp: { name: string; help: string } | null = null;
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line === '') return;
    if (line.startsWith('# HELP ')) {
      const [name, ...rest] = line.slice(7).split(' ');
      if (!NAME.test(name!)) throw new Error(`${where}: bad metric name '${name}'`);
      if (families.has(name!) || pendingHelp) throw new Error(`${where}: HELP for ${name} again or out of place (families must be contiguous)`);
      pendingHelp = { name: name!, help: rest.join(' ') };
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type, extra] = line.slice(7).split(' ');
      if (extra !== undefined || !TYPES.has(type as PromType)) throw new Error(`${where}: bad TYPE line`);
      if (!pendingHelp || pendingHelp.name !== name) throw new Error(`${where}: TYPE ${name} not right after its HELP`);
      current = { name: name!, help: pendingHelp.help, type: type as PromType, samples: [] };
      families.set(name!, current);
      pendingHelp = null;
      return;
    }
    if (line.startsWith('#')) throw new Error(`${where}: unexpected comment '${line}'`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`${where}: not a sample: '${line}'`);
    if (!current || pendingHelp) throw new Error(`${where}: sample ${m[1]} before its HELP and TYPE`);
    const fam: PromFamily = current;
    if (!sampleBelongs(fam, m[1]!)) throw new Error(`${where}: sample ${m[1]} inside family ${fam.name} (families must be contiguous)`);
    const labels = m[2] ? parseLabels(m[2], where) : {};
    const key = `${m[1]}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(',')}}`;
    if (series.has(key)) throw new Error(`${where}: series ${key} twice`);
    series.add(key);
    fam.samples.push({ name: m[1]!, labels, value: parseValue(m[3]!, where) });
  });
  if (pendingHelp) throw new Error(`HELP without TYPE at the end`);
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** Buckets ascend by `le`, counts never decrease, and +Inf equals _count, per label set. */
function checkHistogram(f: PromFamily): void {
  const groups = new Map<string, PromSample[]>();
  for (const s of f.samples) {
    if (s.name !== `${f.name}_bucket`) continue;
    if (!('le' in s.labels)) throw new Error(`${f.name}: bucket without le`);
    const { le: _le, ...rest } = s.labels;
    const k = JSON.stringify(rest);
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  for (const [k, buckets] of groups) {
    let prevLe = -Infinity;
    let prevCount = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le!, f.name);
      if (le <= prevLe || b.value < prevCount) throw new Error(`${f.name}${k}: buckets out of order`);
      prevLe = le;
      prevCount = b.value;
    }
    const count = f.samples.find((s) => s.name === `${f.name}_count` && JSON.stringify(s.labels) === k);
    if (prevLe !== Infinity || !count || count.value !== prevCount) throw new Error(`${f.name}${k}: +Inf bucket missing or not equal to _count`);
  }
}
