// SVG chart of bench/growth.mjs results: ingest rate, memory per file and query latency against tree size (no dependencies).

const W = 1360;
const H = 340;
const PANEL_W = 300;
const PANEL_H = 220;
const TOP = 60;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmtSize = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
const fmtNum = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${Math.round(v / 1e3)}k` : v >= 10 ? String(Math.round(v)) : String(Math.round(v * 10) / 10));

/** One panel: log-x sizes, linear or log y, series of [size, value] and optional horizontal target lines. */
function panel(x0, title, sizes, series, { yLog = false, unit = '', targets = [] } = {}) {
  const all = series.flatMap((s) => s.points.map((p) => p[1])).concat(targets.map((t) => t.value)).filter((v) => Number.isFinite(v) && v > 0);
  const xMin = Math.log10(Math.min(...sizes));
  const xMax = Math.log10(Math.max(...sizes));
  const xs = (n) => x0 + 50 + (xMax === xMin ? PANEL_W / 2 : ((Math.log10(n) - xMin) / (xMax - xMin)) * (PANEL_W - 70));
  const yMin = yLog ? 10 ** Math.floor(Math.log10(Math.min(...all))) : 0;
  // Linear axes end on a round number: four steps of 1, 2, 2.5 or 5 × a power of ten.
  const rawStep = (Math.max(...all) * 1.1) / 4;
  const mag = 10 ** Math.floor(Math.log10(rawStep || 1));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((x) => x >= rawStep) ?? 10 * mag;
  let yMax = yLog ? 10 ** Math.ceil(Math.log10(Math.max(...all))) : step * 4;
  if (!(yMax > yMin)) yMax = yMin + 1;
  const ys = (v) => {
    const f = yLog ? (Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : (v - yMin) / (yMax - yMin);
    return TOP + PANEL_H - f * PANEL_H;
  };
  const out = [`<text x="${x0 + 50 + (PANEL_W - 70) / 2}" y="${TOP - 28}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  out.push(`<line x1="${x0 + 50}" y1="${TOP + PANEL_H}" x2="${x0 + PANEL_W - 20}" y2="${TOP + PANEL_H}" stroke="#333"/>`);
  out.push(`<line x1="${x0 + 50}" y1="${TOP}" x2="${x0 + 50}" y2="${TOP + PANEL_H}" stroke="#333"/>`);
  for (const n of sizes) {
    out.push(`<line x1="${xs(n)}" y1="${TOP + PANEL_H}" x2="${xs(n)}" y2="${TOP + PANEL_H + 4}" stroke="#333"/>`);
    out.push(`<text x="${xs(n)}" y="${TOP + PANEL_H + 16}" text-anchor="middle">${fmtSize(n)}</text>`);
  }
  const ticks = yLog
    ? Array.from({ length: Math.round(Math.log10(yMax / yMin)) + 1 }, (_, i) => yMin * 10 ** i)
    : Array.from({ length: 5 }, (_, i) => yMin + ((yMax - yMin) * i) / 4);
  for (const t of ticks) {
    out.push(`<line x1="${x0 + 46}" y1="${ys(t)}" x2="${x0 + PANEL_W - 20}" y2="${ys(t)}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + 44}" y="${ys(t) + 4}" text-anchor="end">${fmtNum(t)}</text>`);
  }
  out.push(`<text x="${x0 + 50 + (PANEL_W - 70) / 2}" y="${TOP + PANEL_H + 34}" text-anchor="middle">files in the view${unit ? ` — y: ${esc(unit)}` : ''}</text>`);
  for (const t of targets) {
    out.push(`<line x1="${x0 + 50}" y1="${ys(t.value)}" x2="${x0 + PANEL_W - 20}" y2="${ys(t.value)}" stroke="#999" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x0 + PANEL_W - 22}" y="${ys(t.value) - 3}" text-anchor="end" fill="#777">${esc(t.label)}</text>`);
  }
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1]) && p[1] > 0);
    if (pts.length === 0) return;
    out.push(`<polyline fill="none" stroke="${COLORS[i]}" stroke-width="2" points="${pts.map((p) => `${xs(p[0]).toFixed(1)},${ys(p[1]).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${xs(p[0]).toFixed(1)}" cy="${ys(p[1]).toFixed(1)}" r="3" fill="${COLORS[i]}"><title>${esc(s.name)} at ${fmtSize(p[0])}: ${fmtNum(p[1])}</title></circle>`);
    out.push(`<rect x="${x0 + 56}" y="${TOP - 18 + i * 0}" width="0" height="0"/>`);
    out.push(`<text x="${x0 + 58 + (i % 2) * 125}" y="${TOP - 8 + Math.floor(i / 2) * 12}" fill="${COLORS[i]}" font-size="10">■ ${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

export function growthSvg(result) {
  const rows = result.sizes;
  const sizes = rows.map((r) => r.files);
  const at = (f) => rows.map((r) => [r.files, f(r)]);
  const parts = [
    panel(0, 'Ingest rate', sizes, [
      { name: 'snapshot (files/s)', points: at((r) => r.load?.value) },
      { name: 'P1 realtime (events/s)', points: at((r) => r.p1?.value) },
    ], { unit: 'per second', targets: [{ value: 100_000, label: 'P1 ≥ 100k' }] }),
    panel(340, 'Memory per file', sizes, [
      { name: 'P7 RSS (bytes/file)', points: at((r) => r.p7?.value) },
      { name: 'fusion.db (bytes/file)', points: at((r) => r.db_bytes_per_file) },
    ], { unit: 'bytes', targets: [{ value: 250, label: 'P7 ≤ 250' }] }),
    panel(680, 'Query latency (HTTP)', sizes, [
      { name: 'P5 stats p99', points: at((r) => r.p5?.value) },
      { name: 'P6 search *.dat p95', points: at((r) => r.p6?.value) },
      { name: 'P13 reports p95 (worst)', points: at((r) => r.p13?.value) },
      { name: 'P8 restart (ms)', points: at((r) => (r.p8?.value ?? NaN) * 1000) },
    ], { yLog: true, unit: 'ms (log)', targets: [{ value: 300, label: 'P6 300' }, { value: 5, label: 'P5 5' }] }),
  ];
  const p3 = (result.p3 ?? []).filter((p) => Number.isFinite(p.ratio));
  if (p3.length > 0) {
    parts.push(panel(1020, 'P3: snapshot end to end ÷ find', p3.map((p) => p.files), [
      { name: 'agent + Fusion ÷ find (median)', points: p3.map((p) => [p.files, p.ratio]) },
    ], { unit: 'ratio', targets: [{ value: 2, label: 'target 2×' }, { value: 3, label: '3× (100k)' }] }));
  }
  const loads = `load average ${result.load_1m_at_start} → ${result.load_1m_at_end}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="white"/>
<text x="10" y="14" font-size="12">Fustor growth curve (bench/growth.mjs, ${esc(new Date().toISOString().slice(0, 10))}, 2 cores, ${esc(loads)}): one Fusion over loopback HTTP, snapshot in compact batches of 5,000</text>
${parts.join('\n')}
</svg>
`;
}
