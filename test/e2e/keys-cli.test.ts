// `fustor-fusion keys create` against a home whose Fusion is running: the printed key works at once, and only for its views.

import { describe, expect, test } from 'vitest';
import { FusionClient } from './helpers/fusion-client.js';
import { notYet, waitFor } from './helpers/wait.js';
import { FusionNode, World } from './helpers/world.js';

describe('fustor-fusion keys create', () => {
  test('prints a read key once that the running server accepts for its view only', async () => {
    const w = World.create('keys');
    const fusion = await FusionNode.start(w, { views: ['research', 'private'] });
    const r = await fusion.cli(['keys', 'create', '--role', 'read', '--views', 'research', '--name', 'e2e reader']);
    expect(r.code, r.stderr).toBe(0);
    const key = r.stdout.trim();
    expect(key.split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/shown only once/);

    const reader = new FusionClient(fusion.url, key);
    const ok = await waitFor(
      async () => {
        const res = await reader.raw('GET', '/api/v1/views/research/tree?path=/');
        return res.status === 200 ? res : notYet(`${res.status} ${JSON.stringify(res.body)}`);
      },
      { timeoutMs: 5_000, what: 'the running server to accept the new key' },
    );
    expect(ok.body?.code).toBe(0);
    expect((await reader.raw('GET', '/api/v1/views/private/tree?path=/')).status).toBe(403);
    expect((await reader.raw('POST', '/api/v1/pipe/sessions', { agent_id: 'x', pipe_id: 'p', view: 'research' })).status).toBe(403);
  });
});
