// Telling "PostgreSQL is not there" apart from a real error, and keeping a lost connection from crashing the process.

import type pg from 'pg';

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Connection failures, and the server shutting down or starting (SQLSTATE class 08 connection exceptions,
 * 57P01–57P03 admin shutdown / crash shutdown / cannot connect now): answered 503, retried by clients.
 */
export function isPgUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (NET_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
  const msg = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(msg);
}

/**
 * A checked-out client whose server goes away emits 'error' on itself as well as failing its query; with
 * no listener that would be an uncaught exception. The query's rejection is what the caller handles.
 */
export async function checkout(pool: pg.Pool): Promise<pg.PoolClient & { done(): void; broken(err: unknown): void }> {
  const c = await pool.connect();
  let lost = false;
  const swallow = () => {
    lost = true;
  };
  c.on('error', swallow);
  return Object.assign(c, {
    /** Back to the pool; a client whose connection failed is destroyed instead of reused. */
    done() {
      c.off('error', swallow);
      c.release(lost ? true : undefined);
    },
    broken(err: unknown) {
      if (isPgUnavailable(err)) lost = true;
    },
  });
}

/**
 * Runs `fn` in one transaction on a checked-out client (`begin`: the statement that opens it) and
 * commits; any error rolls back, marks a lost connection, and is rethrown.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (q: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const q = await checkout(pool);
  try {
    await q.query(begin);
    const out = await fn(q);
    await q.query('COMMIT');
    return out;
  } catch (err) {
    q.broken(err);
    await q.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    q.done();
  }
}
