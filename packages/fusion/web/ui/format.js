// @ts-check
// Human formats, the same as the fustor CLI: sizes like `1.4 GiB`, relative times, durations.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** @param {number|null|undefined} bytes */
export function size(bytes) {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  if (bytes < 1024) return `${bytes} B`;
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[u]}`;
}

/** @param {number|null|undefined} ms @param {number} [now] */
export function ago(ms, now = Date.now()) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const d = now - ms;
  const a = Math.abs(d);
  /** @param {number} n @param {string} u */
  const say = (n, u) => (d >= 0 ? `${n} ${u} ago` : `in ${n} ${u}`);
  if (a < 2_000) return 'just now';
  if (a < 120_000) return say(Math.round(a / 1000), 's');
  if (a < 7_200_000) return say(Math.round(a / 60_000), 'min');
  if (a < 172_800_000) return say(Math.round(a / 3_600_000), 'h');
  if (a < 365 * 86_400_000) return say(Math.round(a / 86_400_000), 'days');
  return new Date(ms).toISOString().slice(0, 10);
}

/** @param {number|null|undefined} ms */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/** Seconds as a short age label for histogram bins. @param {number} sec */
export function ageLabel(sec) {
  return sec <= 0 ? '0' : duration(sec * 1000).replace(' ', '');
}

/** @param {number|null|undefined} ms */
export function iso(ms) {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/** @param {number} n */
export function count(n) {
  return n.toLocaleString('en-US');
}

/** Parent of a view path. @param {string} p */
export function parentOf(p) {
  if (p === '/') return '/';
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
