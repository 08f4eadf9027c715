// @ts-check
// Hand-drawn SVG charts (no library): horizontal bars for usage, vertical bars for the log2 histograms.

import { replace, s, h } from './dom.js';

const W = 420;

/**
 * Horizontal bars, largest first.
 * @param {HTMLElement} box
 * @param {Array<{ label: string, value: number, text: string, title?: string }>} rows
 */
export function hbars(box, rows) {
  if (rows.length === 0) return replace(box, h('p', { class: 'muted' }, 'Nothing here.'));
  const rowH = 22;
  const labelW = 110;
  const valueW = 70;
  const max = Math.max(...rows.map((r) => r.value), 1);
  const height = rows.length * rowH + 4;
  const svg = s('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': rows.map((r) => `${r.label} ${r.text}`).join(', ') });
  rows.forEach((r, i) => {
    const y = i * rowH + 2;
    const w = Math.max(1, ((W - labelW - valueW - 8) * r.value) / max);
    svg.append(
      s('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', class: 'lbl' }, clip(r.label, 16)),
      s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 6, rx: 2, class: 'bar' }, s('title', {}, r.title ?? `${r.label}: ${r.text}`)),
      s('text', { x: labelW + w + 6, y: y + 15, class: 'val' }, r.text),
    );
  });
  replace(box, svg);
}

/**
 * Vertical bars over contiguous bins; the axis labels each bin's upper bound.
 * @param {HTMLElement} box
 * @param {Array<{ lo: number, hi: number, file_count: number, total_size: number }>} bins
 * @param {(v: number) => string} label
 * @param {string} unitWord
 */
export function histogram(box, bins, label, unitWord) {
  if (bins.length === 0) return replace(box, h('p', { class: 'muted' }, 'No files here.'));
  const H = 110;
  const base = H - 24;
  const max = Math.max(...bins.map((b) => b.file_count), 1);
  // room at both ends for the first and last axis labels
  const pad = 18;
  const bw = (W - 2 * pad) / bins.length;
  const every = Math.max(1, Math.ceil(bins.length / 8));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `file counts by ${unitWord}` });
  svg.append(s('line', { x1: pad, x2: W - pad, y1: base + 0.5, y2: base + 0.5, class: 'axis' }));
  bins.forEach((b, i) => {
    const x = pad + i * bw;
    const bh = b.file_count === 0 ? 0 : Math.max(2, ((base - 8) * b.file_count) / max);
    svg.append(
      s('rect', { x: x + 1, y: base - bh, width: Math.max(1, bw - 2), height: bh, class: 'bar' },
        s('title', {}, `${label(b.lo)} – ${label(b.hi)}: ${b.file_count} file${b.file_count === 1 ? '' : 's'}`)),
    );
    if ((bins.length - 1 - i) % every === 0) svg.append(s('text', { x: x + bw / 2, y: H - 8, 'text-anchor': 'middle', class: 'tick' }, label(b.hi)));
  });
  replace(box, svg);
}

/** @param {string} t @param {number} n */
function clip(t, n) {
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}
