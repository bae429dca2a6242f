/**
 * A raw pg pool on the control-plane database, for what Prisma is not built
 * for: COPY streams and set-based SQL over staging (workflows/engine). One per
 * process.
 */
import pg from 'pg';
import { env } from './env';

export function createPgPool(databaseUrl: string, max = 10): pg.Pool {
  // Staging diffs hash-join millions of rows: give sorts and hashes room so they
  // stay in memory (a per-operation ceiling, used only when a query needs it).
  const pool = new pg.Pool({ connectionString: databaseUrl, max, options: '-c work_mem=128MB' });
  // An idle client's error (server restart) must not crash the process.
  pool.on('error', (err) => console.error(`postgres pool: ${err.message}`));
  return pool;
}

const globalForPg = globalThis as unknown as { backflowPgPool?: pg.Pool };

export function pgPool(): pg.Pool {
  globalForPg.backflowPgPool ??= createPgPool(env().databaseUrl);
  return globalForPg.backflowPgPool;
}
