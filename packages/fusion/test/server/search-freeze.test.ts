// One search froze Fusion: `*a*a*a*a*[b]` on long names backtracked for seconds to minutes and /readyz waited behind it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS, openSession, startFusion, type TestFusion } from './helpers.js';

let f: TestFusion;
const FILES = 40_000;
beforeAll(async () => {
  f = await startFusion();
  const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
  for (let b = 0; b < FILES / 1000; b++) {
    const events = Array.from({ length: 1000 }, (_, i) => ({ op: 'upsert', path: `/d${b % 8}/${'a'.repeat(200)}${b * 1000 + i}`, is_dir: false, size: 1, mtime_ms: 1_600_000_000_000 }));
    const r = await f.client.post(`/api/v1/pipe/sessions/${s.session_id}/events`, KEYS.ingest, { message_source: 'snapshot', batch_seq: b, events });
    expect(r.status).toBe(200);
  }
}, 120_000);
afterAll(async () => {
  await f.close();
});

describe('a backtracking-hostile search on 40,000 long names', () => {
  it('answers, and /readyz keeps answering while it runs', async () => {
    const pattern = '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*[b]';
    let searchDone = false;
    const started = performance.now();
    const search = f.client.get(`/api/v1/views/research/search?pattern=${encodeURIComponent(pattern)}`, KEYS.read).finally(() => (searchDone = true));
    let readyDuring = 0;
    while (!searchDone) {
      const r = await f.client.get('/readyz');
      expect(r.status).toBe(200);
      if (!searchDone) readyDuring++;
    }
    const answer = await search;
    expect(answer.status).toBe(200);
    expect(answer.body.data.total).toBe(0);
    // printed, not asserted: timing belongs to bench/
    console.log(`search took ${Math.round(performance.now() - started)} ms; /readyz answered ${readyDuring} times meanwhile`);
    // a search that holds the event loop lets at most the first probe through
    expect(readyDuring).toBeGreaterThanOrEqual(2);
  });

  it('a pattern it cannot match linearly is refused with 400 naming it', async () => {
    const r = await f.client.get(`/api/v1/views/research/search?pattern=${encodeURIComponent('a(b|c)*')}`, KEYS.read);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(40001);
    expect(r.body.message).toContain("'a(b|c)*'");
  });
});
