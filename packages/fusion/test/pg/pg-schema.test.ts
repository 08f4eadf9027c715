// The PostgreSQL schema: batch blobs compressed with lz4 (or stored uncompressed where lz4 is missing), also in a
// database created before that, whose rows stay readable.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PgCluster } from '@fustor/test-helpers';
import { migratePg, setBlobStorage } from '../../src/store/postgres/pg-schema.js';

let c: PgCluster;
beforeAll(async () => {
  c = await PgCluster.start();
}, 120_000);
afterAll(() => c?.destroy());

/** `table.column` → storage and compression of the blob tables' bytea columns. */
async function blobColumns(pool: pg.Pool): Promise<Record<string, { storage: string; compression: string }>> {
  const r = await pool.query(
    `SELECT c.relname || '.' || a.attname AS col, a.attstorage AS storage, a.attcompression AS compression
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relname IN ('node_log', 'node_chunks', 'feed') AND a.attnum > 0 AND a.atttypid = 'bytea'::regtype`,
  );
  return Object.fromEntries((r.rows as { col: string; storage: string; compression: string }[]).map((x) => [x.col, { storage: x.storage, compression: x.compression }]));
}

/** Versions of the blob tables' catalog rows: unchanged when a start altered nothing (and took no table lock). */
async function catalogVersions(pool: pg.Pool): Promise<string> {
  const r = await pool.query(`SELECT string_agg(a.xmin::text, ',' ORDER BY c.relname, a.attnum) AS v FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname IN ('node_log', 'node_chunks', 'feed') AND a.attnum > 0`);
  return r.rows[0].v as string;
}

async function withDatabase(name: string, fn: (pool: pg.Pool) => Promise<void>): Promise<void> {
  c.psql(`CREATE DATABASE ${name}`);
  const pool = new pg.Pool({ connectionString: c.url.replace(/\/fustor$/, `/${name}`) });
  try {
    await fn(pool);
  } finally {
    await pool.end();
  }
}

const FEED_ROW = `INSERT INTO feed (view, first, count, at, ops, bits, srcs, agents, sizes, mtimes, ks, uids, gids, modes, ctimes, paths)
  VALUES (1, 1, 1, 0, $1, $1, $1, $1, $1, $1, $1, $1, $1, $1, $1, $1)`;

describe('PostgreSQL schema: blob columns (pglz cost a third of P14 ingest)', () => {
  it('compresses the blobs of node_log, node_chunks and feed with lz4', async () => {
    await withDatabase('schema_new', async (pool) => {
      await migratePg(pool);
      const cols = Object.values(await blobColumns(pool));
      expect(cols.length).toBeGreaterThanOrEqual(40);
      expect(cols.filter((x) => x.compression !== 'l')).toEqual([]);
      const before = await catalogVersions(pool);
      await migratePg(pool);
      expect(await catalogVersions(pool)).toBe(before);
    });
  });

  it('upgrades a database created before, whose rows stay readable', async () => {
    await withDatabase('schema_old', async (pool) => {
      await migratePg(pool);
      // As the previous release left it: the default compression, and a feed row already written with it.
      await pool.query(`ALTER TABLE feed ALTER COLUMN paths SET COMPRESSION pglz, ALTER COLUMN sizes SET COMPRESSION DEFAULT`);
      const blob = Buffer.alloc(10_000, 7);
      await pool.query(FEED_ROW, [blob]);
      expect((await blobColumns(pool))['feed.paths']!.compression).toBe('p');
      await migratePg(pool);
      expect(Object.values(await blobColumns(pool)).filter((x) => x.compression !== 'l')).toEqual([]);
      const row = await pool.query(`SELECT paths FROM feed WHERE view = 1 AND first = 1`);
      expect(Buffer.compare(row.rows[0].paths as Buffer, blob)).toBe(0);
    });
  });

  it('without lz4 stores them uncompressed (EXTERNAL), once', async () => {
    await withDatabase('schema_nolz4', async (pool) => {
      await migratePg(pool);
      await pool.query(`ALTER TABLE feed ALTER COLUMN paths SET COMPRESSION DEFAULT`);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        expect(await setBlobStorage(client, { lz4: false })).toBe('external');
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      expect(Object.values(await blobColumns(pool)).filter((x) => x.storage !== 'e')).toEqual([]);
      const blob = Buffer.alloc(10_000, 9);
      await pool.query(FEED_ROW, [blob]);
      expect(Buffer.compare((await pool.query(`SELECT paths FROM feed`)).rows[0].paths as Buffer, blob)).toBe(0);
      // A later start does not try lz4 again on a server that refused it: nothing is altered.
      const before = await catalogVersions(pool);
      await migratePg(pool);
      expect(await catalogVersions(pool)).toBe(before);
    });
  });
});
