// @ts-check
// The views overview: leader, sessions, freshness and counts of every view the key may read.

import { h, replace } from './dom.js';
import { count, duration, size } from './format.js';

/**
 * @param {HTMLElement} table
 * @param {any[]} views  ViewSummary items of GET /views
 * @param {string|null} current
 * @param {(id: string) => void} onPick
 */
export function renderViews(table, views, current, onPick) {
  const head = h('thead', {}, h('tr', {},
    ...['View', 'Leader', 'Sessions', 'Snapshot', 'Staleness', 'Files', 'Dirs', 'Size', 'Suspects', 'Blind spots'].map((t, i) => h('th', { scope: 'col', class: i >= 5 ? 'num' : '' }, t))));
  const rows = views.map((v) =>
    h('tr', { class: v.id === current ? 'current' : '', dataset: { view: v.id } },
      h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => onPick(v.id), 'aria-current': v.id === current ? 'true' : null }, v.id)),
      h('td', { dataset: { field: 'leader' } }, v.leader ? v.leader.agent_id : h('span', { class: 'warn' }, 'none')),
      h('td', { class: 'num' }, String(v.session_count)),
      h('td', { dataset: { field: 'snapshot' } }, v.snapshot_complete ? h('span', { class: 'ok' }, 'complete') : h('span', { class: 'warn' }, 'partial')),
      h('td', { title: v.can_realtime ? 'every session watches in realtime' : 'some session cannot watch in realtime (scans only)' }, duration(v.staleness_ms)),
      h('td', { class: 'num', dataset: { field: 'files' } }, count(v.file_count)),
      h('td', { class: 'num' }, count(v.dir_count)),
      h('td', { class: 'num' }, size(v.total_size)),
      h('td', { class: 'num' }, v.suspect_count ? h('span', { class: 'warn' }, String(v.suspect_count)) : '0'),
      h('td', { class: 'num' }, v.has_blind_spot ? h('span', { class: 'warn' }, 'yes') : 'no'),
    ));
  replace(table, head, h('tbody', {}, ...rows));
}
