// @ts-check
// The Fusion page: asks a read key once, then shows the views, a directory browser with stats and the stable
// verdict, search, reports, and follows the change feed. State lives in the URL hash (back/forward work).

import { ApiError, get, keyStore, viewBase } from './api.js';
import { moveFocus, renderCrumbs, renderListing, renderPager } from './browser.js';
import { $, h, replace } from './dom.js';
import { LiveFeed } from './feed.js';
import { count, parentOf } from './format.js';
import { loadReports, pushLive, renderStats } from './panels.js';
import { renderViews } from './views.js';

const PAGE_SIZE = 50;

const state = {
  /** @type {any[]} */ views: [],
  /** @type {string|null} */ view: null,
  path: '/',
  sort: 'name',
  order: 'asc',
  page: 1,
  q: '',
};
/** @type {LiveFeed|null} */
let feed = null;
let feedFor = '';
let loadAbort = new AbortController();
let reportsAbort = new AbortController();
/** Row to focus after the next render (the directory we came up from, or the row focused before a live refresh). */
/** @type {string|null} */
let focusPath = null;
/** After opening a directory from a row, the keyboard carries on in its first row. */
let focusFirst = false;
/** @type {Record<string, ReturnType<typeof setTimeout>>} */
const timers = {};

/** @param {string} name @param {number} ms @param {() => void} fn */
function debounce(name, ms, fn) {
  clearTimeout(timers[name]);
  timers[name] = setTimeout(fn, ms);
}

// ---- URL hash ----------------------------------------------------------------------------------

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  state.view = p.get('view') ?? state.view;
  state.path = p.get('path') || '/';
  state.sort = ['name', 'size', 'mtime'].includes(p.get('sort') ?? '') ? /** @type {string} */ (p.get('sort')) : 'name';
  state.order = p.get('order') === 'desc' ? 'desc' : 'asc';
  state.page = Math.max(1, Number(p.get('page')) || 1);
  state.q = p.get('q') ?? '';
}

/** @param {Partial<typeof state>} patch */
function go(patch) {
  const next = { ...state, ...patch };
  const p = new URLSearchParams();
  if (next.view) p.set('view', next.view);
  p.set('path', next.path);
  if (next.sort !== 'name') p.set('sort', next.sort);
  if (next.order !== 'asc') p.set('order', next.order);
  if (next.page > 1) p.set('page', String(next.page));
  if (next.q) p.set('q', next.q);
  const hash = `#${p}`;
  if (location.hash === hash) void show();
  else location.hash = hash;
}

// ---- key ---------------------------------------------------------------------------------------

/** @param {string} [message] */
function askKey(message) {
  feed?.stop();
  feed = null;
  feedFor = '';
  $('app').hidden = true;
  $('forget-key').hidden = true;
  $('key-panel').hidden = false;
  $('key-error').textContent = message ?? '';
  $('live-status').textContent = 'offline';
  /** @type {HTMLInputElement} */ ($('key-input')).focus();
}

async function enter() {
  try {
    state.views = (await get('/views')).items;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      keyStore.clear();
      return askKey(err.message);
    }
    return askKey(err instanceof Error ? err.message : String(err));
  }
  $('key-panel').hidden = true;
  $('app').hidden = false;
  $('forget-key').hidden = false;
  readHash();
  if (!state.views.some((v) => v.id === state.view)) state.view = state.views[0]?.id ?? null;
  renderViewPicker();
  await show();
}

// ---- views -------------------------------------------------------------------------------------

function renderViewPicker() {
  renderViews($('views-table'), state.views, state.view, (id) => go({ view: id, path: '/', page: 1, q: '' }));
  const sel = /** @type {HTMLSelectElement} */ ($('view-select'));
  replace(sel, ...state.views.map((v) => h('option', { value: v.id, selected: v.id === state.view }, v.id)));
}

async function refreshViews() {
  if ($('app').hidden || document.hidden) return;
  try {
    state.views = (await get('/views')).items;
    renderViewPicker();
  } catch (err) {
    handleError(err);
  }
}

// ---- the current directory -----------------------------------------------------------------------

const hotMs = () => (state.views.find((v) => v.id === state.view)?.hot_file_threshold_sec ?? 0) * 1000;

/** Shows the current directory (or search results), its stats and, a little later, its reports. */
async function show() {
  if (!state.view) return replace($('listing'), h('caption', {}, 'This key may read no view.'));
  loadAbort.abort();
  loadAbort = new AbortController();
  const { signal } = loadAbort;
  const base = viewBase(state.view);
  renderCrumbs($('crumbs'), state.path, (p) => go({ path: p, page: 1, q: '' }));
  /** @type {HTMLInputElement} */ ($('search')).value = state.q;
  $('reports-path').textContent = `below ${state.path}`;
  ensureFeed();
  try {
    const [listing, stats] = await Promise.all([
      state.q
        ? get(`${base}/search`, { pattern: state.q, path: state.path, page: state.page, page_size: PAGE_SIZE }, { signal })
        : get(`${base}/tree`, { path: state.path, depth: 1, page: state.page, page_size: PAGE_SIZE, sort_by: state.sort, sort_order: state.order }, { signal }),
      get(`${base}/stats`, { path: state.path }, { signal }),
    ]);
    $('banner').hidden = true;
    const page = state.q ? listing : listing.node.children ?? { items: [], total: 0, page: 1, pages: 1 };
    const note = $('search-note');
    note.hidden = !state.q;
    if (state.q) note.textContent = `${count(page.total)} match${page.total === 1 ? '' : 'es'} for ${state.q} below ${state.path} (Esc leaves the search)`;
    renderListing($('listing'), page.items, { sort: state.sort, order: state.order, onSort: sortBy, onOpen: open, focusPath, showPath: Boolean(state.q) });
    focusPath = null;
    if (focusFirst) /** @type {HTMLElement|null} */ ($('listing').querySelector('tbody tr[tabindex]'))?.focus();
    focusFirst = false;
    renderPager($('pager'), page.page, page.pages, page.total, (p) => go({ page: p }));
    $('stats-h').textContent = 'This directory';
    renderStats($('verdict'), $('stats-list'), stats, hotMs());
    watchVerdict(stats);
  } catch (err) {
    if (signal.aborted) return;
    if (err instanceof ApiError && err.status === 404 && state.path !== '/') {
      showBanner(`${err.message}; showing ${parentOf(state.path)} instead`);
      return go({ path: parentOf(state.path), page: 1 });
    }
    handleError(err);
  }
  debounce('reports', 50, refreshReports);
}

/**
 * A directory becomes stable by time passing alone (its newest write leaves the hot window) and no feed entry says
 * so: read it again at that moment. Before the first complete snapshot there is no such moment to compute.
 * @param {any} s
 */
function watchVerdict(s) {
  clearTimeout(timers.verdict);
  if (s.stable || s.suspect_count > 0) return;
  const inMs = s.partial ? 5_000 : s.latest_mtime_ms === null ? null : s.latest_mtime_ms + hotMs() - s.watermark_ms + 50;
  if (inMs !== null) debounce('verdict', Math.min(Math.max(inMs, 50), 2_147_483_647), scheduleRefresh);
}

function refreshReports() {
  reportsAbort.abort();
  reportsAbort = new AbortController();
  if (state.view) void loadReports(state.view, state.path, reportsAbort.signal);
}

/** @param {string} key */
function sortBy(key) {
  const order = state.sort === key ? (state.order === 'asc' ? 'desc' : 'asc') : key === 'name' ? 'asc' : 'desc';
  go({ sort: key, order, page: 1 });
}

/** Enter on a row: a directory opens; a file shows its own stats ("is this file finished?"). @param {any} n */
async function open(n) {
  if (n.is_dir) {
    focusPath = null;
    focusFirst = true;
    return go({ path: n.path, page: 1, q: '' });
  }
  if (state.q) {
    focusPath = n.path;
    return go({ path: parentOf(n.path), page: 1, q: '' });
  }
  try {
    const s = await get(`${viewBase(/** @type {string} */ (state.view))}/stats`, { path: n.path });
    $('stats-h').textContent = `File ${n.name}`;
    renderStats($('verdict'), $('stats-list'), s, hotMs());
  } catch (err) {
    handleError(err);
  }
}

function goUp() {
  if (state.q) return go({ q: '', page: 1 });
  if (state.path === '/') return;
  focusPath = state.path;
  go({ path: parentOf(state.path), page: 1 });
}

// ---- live --------------------------------------------------------------------------------------

function ensureFeed() {
  const key = `${state.view}\0${state.path}`;
  if (feed && feedFor === key) return;
  feed?.stop();
  replace($('live-list'), h('li', { class: 'muted waiting' }, `Waiting for changes below ${state.path} …`));
  feedFor = key;
  feed = new LiveFeed({
    view: /** @type {string} */ (state.view),
    path: state.path,
    onEntry: (e) => {
      $('live-list').querySelector('.waiting')?.remove();
      pushLive($('live-list'), e);
      scheduleRefresh();
    },
    onStatus: (s) => {
      const el = $('live-status');
      el.textContent = s === 'live' ? 'live' : `${s}…`;
      el.className = `live-status ${s}`;
    },
    onResync: scheduleRefresh,
    onAuthError: (msg) => {
      keyStore.clear();
      askKey(msg);
    },
  }).start();
}

function scheduleRefresh() {
  debounce('listing', 250, () => {
    const active = /** @type {HTMLElement|null} */ (document.activeElement);
    if (active?.closest('#listing')) focusPath = active.dataset.path ?? null;
    void show();
  });
  debounce('views', 2_000, refreshViews);
}

// ---- errors ------------------------------------------------------------------------------------

/** @param {string} msg */
function showBanner(msg) {
  const b = $('banner');
  b.textContent = msg;
  b.hidden = false;
}

/** @param {unknown} err */
function handleError(err) {
  if (err instanceof DOMException && err.name === 'AbortError') return;
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    keyStore.clear();
    return askKey(err.message);
  }
  showBanner(err instanceof Error ? err.message : String(err));
}

// ---- wiring ------------------------------------------------------------------------------------

function wire() {
  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($('key-input'));
    keyStore.set(input.value.trim());
    input.value = '';
    void enter();
  });
  $('forget-key').addEventListener('click', () => {
    keyStore.clear();
    askKey('Key forgotten.');
  });
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = /** @type {HTMLInputElement} */ ($('search')).value.trim();
    go({ q, page: 1 });
  });
  $('view-select').addEventListener('change', (e) => go({ view: /** @type {HTMLSelectElement} */ (e.target).value, path: '/', page: 1, q: '' }));
  $('home').addEventListener('click', (e) => {
    e.preventDefault();
    go({ path: '/', page: 1, q: '' });
  });
  window.addEventListener('hashchange', () => {
    readHash();
    renderViewPicker();
    void show();
  });
  document.addEventListener('keydown', onKey);
  setInterval(refreshViews, 10_000);
}

/** @param {KeyboardEvent} e */
function onKey(e) {
  const t = /** @type {HTMLElement} */ (e.target);
  const typing = t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;
  if ($('app').hidden) return;
  if (e.key === '/' && !typing) {
    e.preventDefault();
    /** @type {HTMLInputElement} */ ($('search')).focus();
    return;
  }
  if (e.key === 'Escape' && (state.q || t.id === 'search')) {
    e.preventDefault();
    t.blur();
    if (state.q) go({ q: '', page: 1 });
    return;
  }
  if (typing) return;
  const listing = $('listing');
  if (e.key === 'Backspace' || (e.altKey && e.key === 'ArrowUp')) {
    e.preventDefault();
    goUp();
  } else if (e.key === 'ArrowDown' && !e.altKey) {
    e.preventDefault();
    moveFocus(listing, 1);
  } else if (e.key === 'ArrowUp' && !e.altKey) {
    e.preventDefault();
    moveFocus(listing, -1);
  }
}

wire();
if (keyStore.get()) void enter();
else askKey();
