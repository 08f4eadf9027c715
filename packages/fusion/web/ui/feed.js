// @ts-check
// Follows the change feed with fetch() streaming and parses Server-Sent Events here, so the key travels in the
// X-API-Key header like every other call (EventSource cannot send headers: the key would have to go into the URL,
// where logs, history and proxies keep it). Reconnects with Last-Event-ID and capped, jittered backoff.

import { keyStore, qs, viewBase } from './api.js';

/**
 * @typedef {{ cursor: number, op: string, path: string, is_dir: boolean, created?: boolean, size: number,
 *   mtime_ms: number, owner: string|null, at_ms: number }} ChangeEntry
 * @typedef {'connecting'|'live'|'reconnecting'|'offline'} FeedStatus
 * @typedef {{ view: string, path: string, onEntry: (e: ChangeEntry, event: string) => void,
 *   onStatus: (s: FeedStatus, detail?: string) => void, onResync: () => void, onAuthError: (msg: string) => void }} FeedOptions
 */

/** @param {number} ms @param {AbortSignal} signal */
const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve(undefined)), { once: true });
  });

export class LiveFeed {
  /** @param {FeedOptions} o */
  constructor(o) {
    this.o = o;
    this.abort = new AbortController();
    /** @type {number|null} */
    this.last = null;
  }

  start() {
    void this.#run();
    return this;
  }

  stop() {
    this.abort.abort();
  }

  async #run() {
    const { signal } = this.abort;
    let attempt = 0;
    while (!signal.aborted) {
      this.o.onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
      try {
        /** @type {Record<string, string>} */
        const headers = { 'X-API-Key': keyStore.get() ?? '', Accept: 'text/event-stream' };
        if (this.last !== null) headers['Last-Event-ID'] = String(this.last);
        const res = await fetch(`/api/v1${viewBase(this.o.view)}/changes${qs({ path: this.o.path })}`, { headers, signal, cache: 'no-store' });
        if (res.status === 401 || res.status === 403) {
          const body = await res.json().catch(() => ({}));
          this.o.onAuthError(body.message ?? `HTTP ${res.status}`);
          return;
        }
        if (res.status === 409) {
          // our cursor is gone (retention, or another database): start from now and re-read what is shown
          this.last = null;
          this.o.onResync();
          continue;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        attempt = 0;
        this.o.onStatus('live');
        // anything may have changed while we were away: re-read what is shown
        if (this.last !== null) this.o.onResync();
        await this.#read(res.body);
      } catch (err) {
        if (signal.aborted) return;
        this.o.onStatus('reconnecting', err instanceof Error ? err.message : String(err));
      }
      if (signal.aborted) return;
      const cap = Math.min(15_000, 500 * 2 ** Math.min(attempt++, 10));
      await sleep(cap / 2 + Math.random() * (cap / 2), signal);
    }
  }

  /** @param {ReadableStream<Uint8Array>} body */
  async #read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let event = '';
    let data = '';
    let id = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (line === '') {
          if (event === 'change' || event === 'reset') {
            if (id !== null) this.last = Number(id);
            this.o.onEntry(JSON.parse(data), event);
          } else if (event === 'lagged') {
            // a page does not need every entry it missed: start again from now and re-read
            this.last = null;
            this.o.onResync();
          }
          event = '';
          data = '';
          id = null;
        } else if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trimStart();
        else if (line.startsWith('id:')) id = line.slice(3).trim();
      }
    }
  }
}
