// The test PostgreSQL server starts, answers SQL and stops (the base every cluster test stands on).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PgCluster } from './pg-cluster.js';

let c: PgCluster;
beforeAll(async () => {
  c = await PgCluster.start();
}, 120_000);
afterAll(() => c?.destroy());

describe('throw-away PostgreSQL', () => {
  it('accepts connections from the pg client and survives a restart', async () => {
    const client = new pg.Client({ connectionString: c.url });
    await client.connect();
    await client.query('CREATE TABLE t (x int)');
    await client.query('INSERT INTO t VALUES (1)');
    await client.end();
    c.stopServer('immediate');
    c.startServer();
    const again = new pg.Client({ connectionString: c.url });
    await again.connect();
    expect((await again.query('SELECT x FROM t')).rows).toEqual([{ x: 1 }]);
    await again.end();
  });
});
