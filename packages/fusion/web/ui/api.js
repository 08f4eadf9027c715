// @ts-check
// Calls Fusion's API with the read key in X-API-Key; the key lives in session storage only.

const KEY_ITEM = 'fustor.key';

export class ApiError extends Error {
  /** @param {number} status @param {number|null} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const keyStore = {
  get() {
    return sessionStorage.getItem(KEY_ITEM);
  },
  /** @param {string} k */
  set(k) {
    sessionStorage.setItem(KEY_ITEM, k);
  },
  clear() {
    sessionStorage.removeItem(KEY_ITEM);
  },
};

/** @param {Record<string, string|number|boolean|undefined|null>} q */
export function qs(q) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const t = p.toString();
  return t ? `?${t}` : '';
}

/**
 * GET /api/v1{path} → the envelope's data.
 * @param {string} path
 * @param {Record<string, any>} [query]
 * @param {{ key?: string, signal?: AbortSignal }} [opts]
 */
export async function get(path, query = {}, opts = {}) {
  const key = opts.key ?? keyStore.get() ?? '';
  let res;
  try {
    res = await fetch(`/api/v1${path}${qs(query)}`, { headers: { 'X-API-Key': key, Accept: 'application/json' }, signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ApiError(0, null, 'Fusion does not answer (is it running?)');
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    // a proxy's page, or an empty answer
  }
  if (res.ok && body && body.code === 0) return body.data;
  throw new ApiError(res.status, body?.code ?? null, body?.message ?? `HTTP ${res.status}`);
}

/** @param {string} view */
export const viewBase = (view) => `/views/${encodeURIComponent(view)}`;
