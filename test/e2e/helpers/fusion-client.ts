// Minimal Fusion HTTP client for tests: unwraps the envelope and keeps the HTTP status for assertions.

import type { Envelope, Page, SessionInfo, TreeNode, ViewStats, ViewSummary } from '@fustor/protocol';

export class FusionHttpError extends Error {
  constructor(
    readonly status: number,
    readonly apiCode: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'FusionHttpError';
  }
}

export interface RawResponse<T> {
  status: number;
  body: Envelope<T> | null;
}

export class FusionClient {
  constructor(
    readonly baseUrl: string,
    readonly apiKey: string,
  ) {}

  async raw<T>(method: string, path: string, body?: unknown): Promise<RawResponse<T>> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { 'X-API-Key': this.apiKey, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let parsed: Envelope<T> | null = null;
    try {
      parsed = text ? (JSON.parse(text) as Envelope<T>) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed };
  }

  async get<T>(path: string): Promise<T> {
    const r = await this.raw<T>('GET', path);
    if (r.status !== 200 || !r.body || r.body.code !== 0) {
      throw new FusionHttpError(r.status, r.body?.code, `GET ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    }
    return r.body.data as T;
  }

  views(): Promise<ViewSummary[] | Page<ViewSummary>> {
    return this.get('/api/v1/views');
  }

  async view(view: string): Promise<ViewSummary | undefined> {
    const v = await this.views();
    const list = Array.isArray(v) ? v : v.items;
    return list.find((x) => x.id === view);
  }

  tree(view: string, path: string, opts: { depth?: number; page?: number; pageSize?: number } = {}): Promise<{ node: TreeNode }> {
    const q = new URLSearchParams({
      path,
      depth: String(opts.depth ?? 1),
      page: String(opts.page ?? 1),
      page_size: String(opts.pageSize ?? 1000),
    });
    return this.get(`/api/v1/views/${encodeURIComponent(view)}/tree?${q}`);
  }

  stats(view: string, path = '/'): Promise<ViewStats> {
    return this.get(`/api/v1/views/${encodeURIComponent(view)}/stats?path=${encodeURIComponent(path)}`);
  }

  /** Sessions of a view; accepts a bare array or a page object. */
  async sessions(view: string): Promise<SessionInfo[]> {
    const d = await this.get<SessionInfo[] | Page<SessionInfo> | { items: SessionInfo[] }>(
      `/api/v1/views/${encodeURIComponent(view)}/sessions?page_size=1000`,
    );
    return Array.isArray(d) ? d : d.items;
  }

  async blindSpots(view: string, kind: 'addition' | 'deletion'): Promise<string[]> {
    const d = await this.get<Page<unknown> | unknown[]>(
      `/api/v1/views/${encodeURIComponent(view)}/blind-spots?kind=${kind}&page_size=1000`,
    );
    const items = Array.isArray(d) ? d : d.items;
    return items.map((x) => (typeof x === 'string' ? x : String((x as { path?: unknown }).path)));
  }
}

/** True when GET /readyz answers 200 (no key needed). */
export async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const res = await fetch(baseUrl + '/readyz', { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}
