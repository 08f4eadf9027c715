#!/usr/bin/env node
// `npm run bench`: runs every bench/*.mjs as a child, collects its `RESULT <json>` line, prints a table, writes results/latest.json.

import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, freemem, hostname, loadavg, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { targetRows } from './_targets.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'results');
// Order: the cheap, self-contained scripts first; end-to-end last (it needs every package built). P13 (reports) runs inside fusion-index.mjs, on its 1M view.
const PREFERRED = ['ingest.mjs', 'fusion-index.mjs', 'scan.mjs', 'watch.mjs', 'feed.mjs', 'e2e.mjs'];
// Run only when named (`npm run bench -- growth`): the growth curve takes most of an hour (5M files);
// snapshot-apply is an A/B tool for Fusion's share of P3 (FUSTOR_BENCH_BASELINE), not a target.
const ON_REQUEST = ['growth.mjs', 'snapshot-apply.mjs'];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.filter((a) => !a.startsWith('--'));
const timeoutMin = Number(process.env.FUSTOR_BENCH_TIMEOUT_MIN ?? (quick ? 10 : 60));

function scripts() {
  const all = readdirSync(HERE).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && !f.startsWith('_'));
  const ordered = [...PREFERRED.filter((f) => all.includes(f)), ...all.filter((f) => !PREFERRED.includes(f)).sort()];
  return only.length ? ordered.filter((f) => only.some((o) => f === o || f === `${o}.mjs`)) : ordered.filter((f) => !ON_REQUEST.includes(f));
}

/** Runs one script, streaming its output through, and parses the last `RESULT <json>` line it printed. */
function runOne(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const loadBefore = load1();
    const child = spawn(process.execPath, ['--expose-gc', join(HERE, file), ...(quick ? ['--quick'] : [])], {
      cwd: join(HERE, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderrTail = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      process.stdout.write(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderrTail = (stderrTail + d).slice(-4000);
      process.stderr.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMin * 60_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      const lines = stdout.split('\n').filter((l) => l.startsWith('RESULT '));
      let result = null;
      let parseError = null;
      if (lines.length > 0) {
        try {
          result = JSON.parse(lines[lines.length - 1].slice('RESULT '.length));
        } catch (err) {
          parseError = `RESULT line is not JSON: ${err.message}`;
        }
      }
      const ok = code === 0 && result !== null;
      const why = ok
        ? null
        : signal
          ? `killed by ${signal}${signal === 'SIGKILL' ? ` (over ${timeoutMin} min?)` : ''}`
          : code !== 0
            ? `exit code ${code}: ${lastLine(stderrTail) || lastLine(stdout) || '(no output)'}`
            : parseError ?? 'no RESULT line printed';
      resolve({ script: file, ok, exit_code: code, seconds, load_1m: { before: loadBefore, after: load1() }, error: why, result });
    });
  });
}

// The most telling line of a crash: the thrown error's message rather than Node's version footer.
function lastLine(text) {
  const lines = text.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /^(\w*Error|Error)\b.*:/.test(l));
  return (err ?? lines.filter((l) => !/^Node\.js v/.test(l)).pop() ?? '').slice(0, 300);
}

/** Flattens a RESULT object into rows: nested objects become dotted names; `{value, baseline, ratio}` stays one row. */
function rows(prefix, value, out = []) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    out.push({ name: prefix, value: fmt(value), baseline: '', ratio: '', target: '' });
    return out;
  }
  const keys = Object.keys(value);
  const leafish = keys.some((k) => ['value', 'ratio', 'baseline', 'median', 'p50', 'p99'].includes(k)) && keys.every((k) => typeof value[k] !== 'object' || value[k] === null);
  if (leafish) {
    const main = value.value ?? value.median ?? value.p50 ?? '';
    const rest = keys.filter((k) => !['value', 'baseline', 'ratio', 'target', 'unit'].includes(k) && !(value.value === undefined && (k === 'median' || k === 'p50')));
    const unit = value.unit ? ` ${value.unit}` : '';
    out.push({
      name: prefix,
      value: `${fmt(main)}${unit}${rest.length ? ` (${rest.map((k) => `${k} ${fmt(value[k])}`).join(', ')})` : ''}`,
      baseline: value.baseline === undefined ? '' : fmt(value.baseline),
      ratio: value.ratio === undefined ? '' : fmt(value.ratio),
      target: value.target === undefined ? '' : fmt(value.target),
    });
    return out;
  }
  for (const k of keys) rows(prefix ? `${prefix}.${k}` : k, value[k], out);
  return out;
}

function fmt(v) {
  if (typeof v === 'number') {
    if (Number.isInteger(v) || Math.abs(v) >= 100) return String(Math.round(v));
    return String(Number(v.toPrecision(3)));
  }
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function table(header, body) {
  const widths = header.map((h, i) => Math.min(70, Math.max(h.length, ...body.map((r) => String(r[i]).length))));
  const line = (cells) => cells.map((c, i) => String(c).slice(0, 70).padEnd(widths[i])).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const load1 = () => Math.round(loadavg()[0] * 100) / 100;

/** Every P-target with its figure, baseline and pass/fail, as one table (the report quality.md asks for). */
function targetTable(rows) {
  const mark = (ok) => (ok === true ? 'pass' : ok === false ? 'FAIL' : '–');
  const body = rows.map((r) => [
    r.id, r.target, r.value === null ? '' : `${fmt(r.value)} ${r.unit}`.trim(), r.baseline === null ? '' : `${fmt(r.baseline)}${r.baseline_name ? ` (${r.baseline_name})` : ''}`,
    r.ratio === null ? '' : fmt(r.ratio), mark(r.ok), r.note ?? '',
  ]);
  return table(['#', 'target', 'measured', 'baseline', 'ratio', 'status', 'note'], body);
}

async function main() {
  const list = scripts();
  const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  if (list.length === 0) {
    console.error(`bench: no bench scripts found in ${HERE}${only.length ? ` matching ${only.join(', ')}` : ''}`);
    process.exit(1);
  }
  console.log(`bench: running ${list.join(', ')}${quick ? ' (--quick)' : ''}`);
  const runs = [];
  for (const file of list) {
    console.log(`\n=== ${file} ===`);
    runs.push(await runOne(file));
  }

  const body = [];
  for (const r of runs) {
    if (!r.ok) {
      body.push([r.script, `${r.seconds}s`, 'FAILED', r.error ?? '', '', '', '']);
      continue;
    }
    // The script name and its run time only on its first row, so the figures stay readable.
    rows('', r.result).forEach((row, i) => {
      body.push([i === 0 ? r.script : '', i === 0 ? `${r.seconds}s` : '', row.name, row.value, row.baseline, row.ratio, row.target]);
    });
  }
  console.log(`\n${table(['script', 'time', 'figure', 'value', 'baseline', 'ratio', 'target'], body)}`);
  const loadAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  const targets = targetRows(runs);
  console.log(`\nP-targets of quality.md (${quick ? 'quick mode: smaller trees, judged as measured' : 'full mode'}); load average (1/5/15 min) at start ${loadAtStart.join(' / ')}, at end ${loadAtEnd.join(' / ')}; ${cpus().length} cores`);
  console.log(targetTable(targets));

  const cpuList = cpus();
  const doc = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine: {
      hostname: hostname(),
      platform: `${platform()} ${release()}`,
      cpus: cpuList.length,
      cpu_model: cpuList[0]?.model ?? 'unknown',
      memory_total_bytes: totalmem(),
      memory_free_bytes_at_start: freemem(),
      node: process.version,
      load_average_at_start: loadAtStart,
      load_average_at_end: loadAtEnd,
    },
    targets,
    scripts: runs,
  };
  mkdirSync(RESULTS, { recursive: true });
  // A run of some scripts only must not replace the record of the last full run.
  const file = join(RESULTS, only.length ? 'partial.json' : 'latest.json');
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  const failed = runs.filter((r) => !r.ok);
  console.log(`\nwrote ${file}; ${runs.length - failed.length}/${runs.length} scripts succeeded${failed.length ? ` (failed: ${failed.map((r) => r.script).join(', ')})` : ''}`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
