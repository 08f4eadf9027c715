// Revocation takes effect on the next request, whichever path revoked the key (CLI on the database of a running daemon, admin API).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keysCreate, keysRevoke } from '../../src/cli/keys.js';
import { waitFor } from '@fustor/test-helpers';
import { KEYS, startFusion, testConfigRaw, type TestFusion } from './helpers.js';

let f: TestFusion;
beforeEach(async () => {
  f = await startFusion();
  // the CLI reads the same home: JSON is YAML
  writeFileSync(join(f.dir, 'fusion-config.yaml'), JSON.stringify(testConfigRaw()));
});
afterEach(async () => {
  await f.close();
});

const readTree = (key: string) => f.client.get('/api/v1/views/research/tree?path=/', key);

describe('key revocation on a running daemon', () => {
  it('`keys revoke` on the database answers 401 on the very next request (it kept answering 200 until reload)', async () => {
    const lines: string[] = [];
    await keysCreate({ home: f.dir, role: 'read', views: 'research' }, (l) => lines.push(l), (l) => lines.push(l));
    const key = lines[0]!;
    const id = /created key (key_[0-9a-f]+)/.exec(lines[1]!)![1]!;
    // a created key is picked up on a miss (at most every 100 ms)
    await waitFor(async () => (await readTree(key)).status === 200, 'the daemon to accept the created key');
    expect((await readTree(key)).status).toBe(200);

    await keysRevoke(id, { home: f.dir }, () => undefined);
    const after = await readTree(key);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe(40101);
    const listed = await f.client.get('/api/v1/admin/api-keys', KEYS.admin);
    expect(listed.body.data.items.map((k: { id: string }) => k.id)).not.toContain(id);
  });

  it('the admin API revokes on the next request too, and other keys keep working', async () => {
    const created = await f.client.post('/api/v1/admin/api-keys', KEYS.admin, { name: 'r', role: 'read', views: ['research'] });
    const other = await f.client.post('/api/v1/admin/api-keys', KEYS.admin, { name: 'r2', role: 'read', views: ['research'] });
    expect((await readTree(created.body.data.key)).status).toBe(200);
    expect((await f.client.call('DELETE', `/api/v1/admin/api-keys/${created.body.data.id}`, { key: KEYS.admin })).status).toBe(200);
    expect((await readTree(created.body.data.key)).status).toBe(401);
    expect((await readTree(other.body.data.key)).status).toBe(200);
    expect((await readTree(KEYS.read)).status).toBe(200);
  });
});
