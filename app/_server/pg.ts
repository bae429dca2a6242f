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
  // No JIT: the engine's statements are costed as large (staging statistics lag)
  // and PostgreSQL would compile each one afresh, for queries that then run in
  // milliseconds (bench, 1M DuckDB: full sync 36,161–41,724 rows/s and
  // incremental 5.85–7.24 s, against 32,978–36,153 and 7.17–7.85 s with JIT).
  const pool = new pg.Pool({ connectionString: databaseUrl, max, options: '-c work_mem=128MB -c jit=off' });
  // An idle client's error (server restart) must not crash the process.
  pool.on('error', (err) => console.error(`postgres pool: ${err.message}`));
  return pool;
}

const globalForPg = globalThis as unknown as { backflowPgPool?: pg.Pool };

export function pgPool(): pg.Pool {
  globalForPg.backflowPgPool ??= createPgPool(env().databaseUrl);
  return globalForPg.backflowPgPool;
}
