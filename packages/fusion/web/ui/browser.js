// @ts-check
// The directory browser: breadcrumb, sortable listing with focusable rows, pager, and search results.

import { h, replace } from './dom.js';
import { ago, count, iso, size } from './format.js';

/** @param {any} n */
function marks(n) {
  const out = [];
  if (n.integrity_suspect) out.push(h('span', { class: 'mark suspect', title: 'possibly still being written' }, 'being written'));
  if (n.blind_spot) out.push(h('span', { class: 'mark blind', title: 'a change no agent saw (found by an audit)' }, `blind spot: ${n.blind_spot}`));
  return out;
}

/** @param {any} n */
const kindOf = (n) => n.kind ?? (n.is_dir ? 'dir' : 'file');

/**
 * @param {HTMLElement} nav
 * @param {string} path
 * @param {(p: string) => void} go
 */
export function renderCrumbs(nav, path, go) {
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const items = [h('button', { type: 'button', class: 'link', onclick: () => go('/') }, '/')];
  parts.forEach((name, i) => {
    const p = '/' + parts.slice(0, i + 1).join('/');
    items.push(h('span', { class: 'sep', 'aria-hidden': 'true' }, i === 0 ? '' : '/'));
    items.push(i === parts.length - 1 ? h('span', { 'aria-current': 'page' }, name) : h('button', { type: 'button', class: 'link', onclick: () => go(p) }, name));
  });
  replace(nav, ...items);
}

const SORTABLE = { name: 'Name', size: 'Size', mtime: 'Modified' };

/**
 * @param {HTMLElement} table
 * @param {any[]} nodes
 * @param {{ sort: string, order: string, onSort: (k: string) => void, onOpen: (n: any) => void, focusPath?: string|null, showPath?: boolean }} o
 */
export function renderListing(table, nodes, o) {
  /** @param {'name'|'size'|'mtime'} k @param {string} cls */
  const sortTh = (k, cls) =>
    h('th', { scope: 'col', class: cls, 'aria-sort': o.sort === k ? (o.order === 'asc' ? 'ascending' : 'descending') : 'none' },
      o.showPath ? SORTABLE[k] : h('button', { type: 'button', class: 'link sort', onclick: () => o.onSort(k) }, SORTABLE[k], o.sort === k ? (o.order === 'asc' ? ' ▲' : ' ▼') : ''));
  const head = h('thead', {}, h('tr', {},
    sortTh('name', ''), h('th', { scope: 'col', class: 'opt' }, 'Kind'), sortTh('size', 'num'), sortTh('mtime', ''), h('th', { scope: 'col', class: 'opt' }, 'Owner'), h('th', { scope: 'col', class: 'marks' }, 'Marks')));
  const now = Date.now();
  const rows = nodes.map((n) =>
    h('tr', { tabindex: 0, class: n.is_dir ? 'dir' : 'file', dataset: { path: n.path }, 'aria-label': `${n.is_dir ? 'directory' : kindOf(n)} ${o.showPath ? n.path : n.name}`,
      onkeydown: (/** @type {KeyboardEvent} */ e) => { if (e.key === 'Enter') { e.preventDefault(); o.onOpen(n); } },
      ondblclick: () => o.onOpen(n) },
      h('td', { class: 'name' }, h('span', { class: `icon ${n.is_dir ? 'i-dir' : 'i-file'}`, 'aria-hidden': 'true' }), o.showPath ? n.path : n.is_dir ? `${n.name}/` : n.name,
        // phones have no room for the marks column: the marks follow the name there
        h('span', { class: 'marks-inline' }, ...marks(n))),
      h('td', { class: 'opt' }, kindOf(n)),
      h('td', { class: 'num' }, n.is_dir ? '' : size(n.size)),
      h('td', { title: iso(n.mtime_ms) }, ago(n.mtime_ms, now)),
      h('td', { class: 'opt' }, n.owner ?? (n.uid ?? '–')),
      h('td', { class: 'marks' }, ...marks(n)),
    ));
  if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, o.showPath ? 'No match.' : 'Empty directory.')));
  replace(table, head, h('tbody', {}, ...rows));
  if (o.focusPath) /** @type {HTMLElement|null} */ (table.querySelector(`tr[data-path="${CSS.escape(o.focusPath)}"]`))?.focus();
}

/**
 * @param {HTMLElement} box
 * @param {number} page
 * @param {number} pages
 * @param {number} total
 * @param {(p: number) => void} go
 */
export function renderPager(box, page, pages, total, go) {
  if (pages <= 1) return replace(box, h('span', { class: 'muted' }, `${count(total)} entr${total === 1 ? 'y' : 'ies'}`));
  replace(box,
    h('button', { type: 'button', disabled: page <= 1, onclick: () => go(page - 1) }, '‹ Previous'),
    h('span', {}, ` Page ${page} of ${pages} · ${count(total)} entries `),
    h('button', { type: 'button', disabled: page >= pages, onclick: () => go(page + 1) }, 'Next ›'));
}

/** Moves focus to the next/previous row of the listing. @param {HTMLElement} table @param {1|-1} step */
export function moveFocus(table, step) {
  const rows = /** @type {HTMLElement[]} */ ([...table.querySelectorAll('tbody tr[tabindex]')]);
  if (rows.length === 0) return;
  const i = rows.indexOf(/** @type {HTMLElement} */ (document.activeElement));
  rows[i < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, i + step))]?.focus();
}
