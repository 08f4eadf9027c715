// Human output: sizes like `1.4 GiB`, relative times, aligned columns; and the parsers of --min-size and --newer/--timeout.

import { CliError, EXIT } from './errors.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

export function formatSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  if (bytes < 1024) return `${bytes} B`;
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) (v /= 1024), u++;
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[u]}`;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "12 days ago", or a date past a year; "in …" for the future. */
export function relativeTime(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const d = now - ms;
  const abs = Math.abs(d);
  const say = (n: number, unit: string) => (d >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`);
  if (abs < 2_000) return 'just now';
  if (abs < 120_000) return say(Math.round(abs / 1000), 's');
  if (abs < 7_200_000) return say(Math.round(abs / 60_000), 'min');
  if (abs < 172_800_000) return say(Math.round(abs / 3_600_000), 'h');
  if (abs < 365 * 86_400_000) return say(Math.round(abs / 86_400_000), 'days');
  return new Date(ms).toISOString().slice(0, 10);
}

/** A duration in words for messages: 1.5 s, 3 min, 2 h. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export type Align = 'left' | 'right';

/** Columns padded to their widest cell; the last column is never padded (long paths stay unbroken). */
export function table(header: string[], rows: string[][], align: Align[] = []): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => [...(r[c] ?? '')].length)));
  return all.map((r) =>
    r
      .map((cell, c) => {
        if (c === r.length - 1 && align[c] !== 'right') return cell;
        const pad = ' '.repeat(widths[c]! - [...cell].length);
        return align[c] === 'right' ? pad + cell : cell + pad;
      })
      .join('  '),
  );
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** `1G`, `1.5GiB`, `500M`, `4096` → bytes (binary units, as find and du use). */
export function parseSize(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new CliError(`${option}: '${text}' is not a size`, EXIT.USAGE, 'use a number with an optional unit: 500K, 20M, 1G, 2T (binary units)');
  return Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `15m`, `1h30m`, `2d`, `1w`; a bare number is seconds. */
export function parseDuration(text: string, option: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  let total = 0;
  let rest = t;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|min|s|m|h|d|w)/i.exec(rest);
    if (!m) throw new CliError(`${option}: '${text}' is not a duration`, EXIT.USAGE, 'use e.g. 90s, 15m, 1h30m, 2d, 1w');
    total += Number(m[1]) * DURATION_UNITS[m[2]!.toLowerCase()]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** The same permission string ls -l prints, from kind and mode bits. */
export function modeString(kind: string | null | undefined, isDir: boolean, mode: number | null | undefined): string {
  const k = kind ?? (isDir ? 'dir' : 'file');
  const first = { dir: 'd', file: '-', symlink: 'l', fifo: 'p', socket: 's', device: 'c' }[k] ?? '?';
  if (mode === null || mode === undefined) return `${first}?????????`;
  const rwx = (b: number) => `${b & 4 ? 'r' : '-'}${b & 2 ? 'w' : '-'}${b & 1 ? 'x' : '-'}`;
  return first + rwx(mode >> 6) + rwx(mode >> 3) + rwx(mode);
}

/** A view path from what the user typed: relative names are taken from the root. */
export function viewPath(p: string | undefined): string {
  if (p === undefined || p === '' || p === '.') return '/';
  const abs = p.startsWith('/') ? p : `/${p}`;
  return abs.length > 1 ? abs.replace(/\/+$/, '') : abs;
}
