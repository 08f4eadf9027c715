// The change feed and the webhook queue across kill -9 of Fusion: every acknowledged batch is in the feed, every delivery arrives.

import { createServer, type Server } from 'node:http';
import { describe, expect, test } from 'vitest';
import { freePort } from './helpers/ports.js';
import { notYet, waitFor } from './helpers/wait.js';
import { FusionNode, World } from './helpers/world.js';

interface Hook {
  id: string;
  body: { event: string; path: string };
}

function receiver(port: number, got: Hook[]): Promise<Server> {
  const srv = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      got.push({ id: String(req.headers['x-fustor-delivery']), body: JSON.parse(raw) });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve(srv)));
}

describe('feed and delivery queue durability', () => {
  test('kill -9 mid-ingest: acknowledged changes are all in the feed, and queued deliveries are sent once the receiver is up', async () => {
    const w = World.create('feed-durability');
    const fusion = await FusionNode.start(w);
    const hookPort = await freePort(); // nothing listens yet: every delivery fails and stays queued
    const call = async (method: string, path: string, key: string, body?: unknown) => {
      const r = await fetch(fusion.url + path, {
        method,
        headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as { data: any } };
    };
    const sub = await call('POST', '/api/v1/views/research/subscriptions', fusion.adminKey, {
      path: '/in', on: ['created', 'stable'], url: `http://127.0.0.1:${hookPort}/hook`, secret: 'e2e-secret-value',
    });
    expect(sub.status).toBe(201);
    const sid = (await call('POST', '/api/v1/pipe/sessions', fusion.ingestKey, { agent_id: 'x', pipe_id: 'p', view: 'research' })).body.data.session_id;
    await call('POST', `/api/v1/pipe/sessions/${sid}/snapshot/start`, fusion.ingestKey, {});
    await call('POST', `/api/v1/pipe/sessions/${sid}/snapshot/end`, fusion.ingestKey, { complete: true });

    const acked: string[] = [];
    const batch = (seq: number) => ({
      message_source: 'realtime',
      batch_seq: seq,
      events: Array.from({ length: 50 }, (_, i) => ({ op: 'upsert', path: `/in/run${seq % 3}/f${seq}-${i}`, is_dir: false, size: i, mtime_ms: Date.now() })),
    });
    for (let seq = 0; seq < 20; seq++) {
      const r = await call('POST', `/api/v1/pipe/sessions/${sid}/events`, fusion.ingestKey, batch(seq));
      expect(r.status).toBe(200);
      acked.push(...batch(seq).events.map((e) => e.path));
    }
    // One more batch in flight when the process dies: all of it or nothing may be there.
    const inflight = batch(20);
    const pending = fetch(`${fusion.url}/api/v1/pipe/sessions/${sid}/events`, {
      method: 'POST', headers: { 'x-api-key': fusion.ingestKey, 'content-type': 'application/json' }, body: JSON.stringify(inflight),
    }).catch(() => null);
    await fusion.kill9();
    await pending;
    await fusion.restart();

    // The feed holds every acknowledged change, in order, each cursor once.
    const entries: Array<{ cursor: number; op: string; path: string }> = [];
    for (let since = 0; ; ) {
      const page = (await call('GET', `/api/v1/views/research/changes?since=${since}&limit=1000`, fusion.adminKey)).body.data;
      entries.push(...page.items);
      if (page.next_cursor === since) break;
      since = page.next_cursor;
    }
    const cursors = entries.map((e) => e.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(cursors.length);
    const created = new Set(entries.filter((e) => e.op === 'upsert').map((e) => e.path));
    for (const p of acked) expect(created.has(p), p).toBe(true);
    const inflightSeen = inflight.events.filter((e) => created.has(e.path)).length;
    expect([0, inflight.events.length]).toContain(inflightSeen);

    // The receiver comes up: every acknowledged file's `created` and each folder's `stable` arrive (deduped by delivery id).
    const got: Hook[] = [];
    const srv = await receiver(hookPort, got);
    try {
      const wantCreated = new Set([...acked, ...(inflightSeen ? inflight.events.map((e) => e.path) : [])]);
      await waitFor(
        async () => {
          const ids = new Map(got.map((g) => [g.id, g.body]));
          const createdPaths = new Set([...ids.values()].filter((b) => b.event === 'created').map((b) => b.path));
          const stable = new Set([...ids.values()].filter((b) => b.event === 'stable').map((b) => b.path));
          const missing = [...wantCreated].filter((p) => !createdPaths.has(p));
          return missing.length === 0 && stable.size === 3 ? true : notYet(`${missing.length} created missing, stable: ${[...stable].join(',')}`);
        },
        // Retries back off (capped at 15 min; early attempts within a few seconds): allow for the backoff reached while it was down.
        { timeoutMs: 60_000, what: 'every queued delivery' },
      );
      const stableOnce = new Map<string, number>();
      for (const b of new Map(got.map((g) => [g.id, g.body])).values()) if (b.event === 'stable') stableOnce.set(b.path, (stableOnce.get(b.path) ?? 0) + 1);
      expect([...stableOnce.values()]).toEqual([1, 1, 1]);
    } finally {
      srv.close();
    }
  });
});
