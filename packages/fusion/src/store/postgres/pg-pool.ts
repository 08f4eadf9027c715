// One pg.Pool per Fusion node: bigint columns as numbers (cursors and counts stay below 2^53), errors logged, not thrown away.

import pg from 'pg';

/** Types for this pool only (never the process-wide parser: other pools may want strings). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v); // int8
    return pg.types.getTypeParser(oid, format);
  },
};

export interface PgPoolOptions {
  /** postgres://… ; when absent the PG* environment variables apply (libpq's). */
  url?: string;
  max?: number;
  onError?(err: Error): void;
}

export function createPgPool(o: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    ...(o.url ? { connectionString: o.url } : {}),
    max: o.max ?? 10,
    types: types as pg.CustomTypesConfig,
    // A dead server must fail requests fast (503), not queue them for minutes.
    connectionTimeoutMillis: 3000,
    keepAlive: true,
    application_name: 'fustor-fusion',
  });
  // An idle client losing its server emits here; without a listener Node would crash the process.
  pool.on('error', (err) => o.onError?.(err));
  return pool;
}
