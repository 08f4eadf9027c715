// @ts-check
// Side panels: the stats of the current directory with its stable verdict, the live change list, and the reports.

import { get, viewBase } from './api.js';
import { hbars, histogram } from './charts.js';
import { h, replace } from './dom.js';
import { ago, ageLabel, count, duration, iso, size } from './format.js';

/** The verdict as words and a tone. @param {any} s */
export function verdictOf(s) {
  if (s.partial) return { text: 'partial: first snapshot not complete', tone: 'partial' };
  if (s.stable) return { text: 'finished', tone: 'finished' };
  return { text: 'still being written', tone: 'writing' };
}

/**
 * @param {HTMLElement} verdictEl
 * @param {HTMLElement} list
 * @param {any} s  the stats answer
 * @param {number} hotMs
 */
export function renderStats(verdictEl, list, s, hotMs) {
  const v = verdictOf(s);
  verdictEl.className = `verdict ${v.tone}`;
  const why = [];
  if (!s.partial && !s.stable) {
    if (s.suspect_count > 0) why.push(`${s.suspect_count} file${s.suspect_count === 1 ? '' : 's'} possibly still open`);
    if (s.latest_mtime_ms !== null && s.watermark_ms - s.latest_mtime_ms <= hotMs) why.push(`newest change ${duration(s.watermark_ms - s.latest_mtime_ms)} ago`);
  }
  replace(verdictEl, h('strong', {}, v.text), why.length ? h('span', { class: 'why' }, why.join('; ')) : null);
  /** @type {Array<[string, string|Node, string?]>} */
  const facts = [
    ['Path', s.path],
    ['Files', count(s.file_count)],
    ['Directories', count(s.dir_count)],
    ['Size', size(s.total_size), `${count(s.total_size)} bytes`],
    ['Newest change', ago(s.latest_mtime_ms), iso(s.latest_mtime_ms)],
    ['Suspects', String(s.suspect_count)],
    ['Blind spots', String(s.blind_spot_count)],
    ['Snapshot', s.snapshot_complete ? 'complete' : 'not complete yet'],
    ['Last audit', s.last_audit_end_ms === null ? 'none yet' : ago(s.last_audit_end_ms), iso(s.last_audit_end_ms)],
    ['Staleness', duration(s.staleness_ms)],
  ];
  replace(list, ...facts.flatMap(([k, val, title]) => [h('dt', {}, k), h('dd', { title: title ?? null }, val)]));
}

/** @param {number} ms */
const clock = (ms) => new Date(ms).toTimeString().slice(0, 8);

/** @param {any} e */
function opWord(e) {
  if (e.op === 'upsert') return e.created ? 'created' : 'modified';
  return e.op === 'delete' ? 'deleted' : e.op;
}

/** Newest first, at most `keep` entries. @param {HTMLElement} list @param {any} e @param {number} [keep] */
export function pushLive(list, e, keep = 40) {
  list.prepend(
    h('li', { class: `op-${opWord(e)}`, dataset: { path: e.path } },
      h('time', { datetime: new Date(e.at_ms).toISOString() }, clock(e.at_ms)), ' ',
      h('span', { class: 'op' }, opWord(e)), ' ',
      h('span', { class: 'path' }, e.path + (e.is_dir && e.path !== '/' ? '/' : '')),
      e.is_dir || e.op === 'delete' ? null : h('span', { class: 'muted' }, ` ${size(e.size)}`)),
  );
  while (list.children.length > keep) list.lastElementChild?.remove();
}

/**
 * Usage by owner, size and age histograms, and the largest files of `path`.
 * @param {string} view
 * @param {string} path
 * @param {AbortSignal} signal
 */
export async function loadReports(view, path, signal) {
  const base = viewBase(view);
  const show = async (/** @type {string} */ id, /** @type {() => Promise<void>} */ fn) => {
    try {
      await fn();
    } catch (err) {
      if (signal.aborted) return;
      replace(document.getElementById(id) ?? document.body, h('p', { class: 'muted' }, `Unavailable: ${err instanceof Error ? err.message : err}`));
    }
  };
  await Promise.all([
    show('chart-usage', async () => {
      const u = await get(`${base}/usage`, { path, by: 'owner', page_size: 10 }, { signal });
      hbars(/** @type {HTMLElement} */ (document.getElementById('chart-usage')), u.items.map((/** @type {any} */ i) => ({
        label: i.name ?? (i.uid === null || i.uid === undefined ? 'unknown' : `uid ${i.uid}`),
        value: i.total_size,
        text: size(i.total_size),
        title: `${i.name ?? i.uid}: ${size(i.total_size)} in ${count(i.file_count)} files`,
      })));
    }),
    show('chart-size', async () => {
      const hs = await get(`${base}/histogram`, { path, of: 'size' }, { signal });
      histogram(/** @type {HTMLElement} */ (document.getElementById('chart-size')), hs.bins, (v) => size(v).replace(' ', ''), 'size');
    }),
    show('chart-age', async () => {
      const ha = await get(`${base}/histogram`, { path, of: 'age' }, { signal });
      histogram(/** @type {HTMLElement} */ (document.getElementById('chart-age')), ha.bins, ageLabel, 'age');
    }),
    show('top-table', async () => {
      const t = await get(`${base}/top`, { path, by: 'size', type: 'file', limit: 10 }, { signal });
      const table = /** @type {HTMLElement} */ (document.getElementById('top-table'));
      replace(table,
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'Size'), h('th', { scope: 'col' }, 'Path'), h('th', { scope: 'col', class: 'opt' }, 'Owner'))),
        h('tbody', {}, ...(t.items.length ? t.items : [null]).map((/** @type {any} */ i) =>
          i ? h('tr', {}, h('td', { class: 'num' }, size(i.size)), h('td', { class: 'path' }, i.path), h('td', { class: 'opt' }, i.owner ?? '–'))
            : h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No files here.')))));
    }),
  ]);
}
