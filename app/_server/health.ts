/**
 * Health checks shared by the /status page and `npm run doctor`. Each check
 * reports its state and, when it fails, the fix. Checks never throw.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { countPollers, connectClient } from '../../workflows/temporal/client';
import { describeDbError } from './errors';
import type { Env } from './env';

export type CheckName = 'postgres' | 'migrations' | 'temporal' | 'worker' | 'warehouse';
export type Check = { name: CheckName; label: string; ok: boolean; detail: string; fix?: string };

const LABELS: Record<CheckName, string> = {
  postgres: 'PostgreSQL',
  migrations: 'Migrations',
  temporal: 'Temporal',
  worker: 'Worker',
  warehouse: 'Demo warehouse',
};

function result(name: CheckName, ok: boolean, detail: string, fix?: string): Check {
  return { name, label: LABELS[name], ok, detail, ...(ok ? {} : { fix }) };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkDatabase(e: Env): Promise<Check[]> {
  const client = new pg.Client({ connectionString: e.databaseUrl, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch (err) {
    const fix = e.usesEmbeddedPostgres
      ? 'start Backflow with `npm start` (it runs the embedded PostgreSQL), or set DATABASE_URL'
      : 'check that the server in DATABASE_URL is running and the URL is right';
    const pgCheck = result('postgres', false, describeDbError(err, e.databaseUrl), fix);
    return [pgCheck, result('migrations', false, 'unknown: PostgreSQL is unreachable', 'fix PostgreSQL first')];
  }
  try {
    const v = await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const where = e.usesEmbeddedPostgres ? `embedded, port ${e.EMBEDDED_PG_PORT}` : 'DATABASE_URL';
    const pgCheck = result('postgres', true, `PostgreSQL ${v.rows[0]?.v ?? '?'} (${where})`);
    return [pgCheck, await checkMigrations(client)];
  } finally {
    await client.end();
  }
}

/** Compares prisma/migrations on disk with the `_prisma_migrations` table. */
async function checkMigrations(client: pg.Client): Promise<Check> {
  const dir = path.join(process.cwd(), 'prisma', 'migrations');
  const onDisk = existsSync(dir)
    ? (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)
    : [];
  const table = await client.query<{ exists: boolean }>(`SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS exists`);
  const fix = 'run `npm run db:migrate`';
  if (!table.rows[0]?.exists) return result('migrations', false, `none applied, ${onDisk.length} pending`, fix);
  const rows = await client.query<{ migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }>(
    'SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations',
  );
  const applied = new Set(rows.rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name));
  const failed = rows.rows.filter((r) => !r.finished_at && !r.rolled_back_at).map((r) => r.migration_name);
  const pending = onDisk.filter((m) => !applied.has(m));
  if (failed.length) {
    return result('migrations', false, `failed: ${failed.join(', ')}`, 'inspect the failed migration, fix the database, then mark it rolled back');
  }
  if (pending.length) return result('migrations', false, `${pending.length} pending: ${pending.join(', ')}`, fix);
  return result('migrations', true, `${applied.size} applied, none pending`);
}

async function checkTemporal(e: Env): Promise<Check[]> {
  const fixServer = e.usesLocalTemporal
    ? `start Backflow with \`npm start\` (it runs the Temporal dev server on ${e.temporalAddress})`
    : `check that the Temporal frontend at TEMPORAL_ADDRESS=${e.temporalAddress} is running and reachable`;
  let client;
  try {
    client = await withTimeout(
      connectClient({ address: e.temporalAddress, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.TEMPORAL_TASK_QUEUE }, 3_000),
      5_000,
      'Temporal',
    );
    await withTimeout(client.workflowService.getSystemInfo({}), 3_000, 'Temporal');
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return [
      result('temporal', false, `unreachable at ${e.temporalAddress}: ${msg}`, fixServer),
      result('worker', false, 'unknown: Temporal is unreachable', 'fix Temporal first'),
    ];
  }
  try {
    const temporal = result('temporal', true, `${e.temporalAddress}, namespace ${e.TEMPORAL_NAMESPACE}`);
    const pollers = await withTimeout(countPollers(client, e.TEMPORAL_NAMESPACE, e.TEMPORAL_TASK_QUEUE), 3_000, 'Temporal');
    const worker =
      pollers > 0
        ? result('worker', true, `${pollers} worker(s) polling "${e.TEMPORAL_TASK_QUEUE}"`)
        : result('worker', false, `no worker polling "${e.TEMPORAL_TASK_QUEUE}"`, 'start one with `npm start` (or `npm run worker`)');
    return [temporal, worker];
  } catch (err) {
    return [result('temporal', true, e.temporalAddress), result('worker', false, String(err), 'start a worker with `npm run worker`')];
  } finally {
    await client.connection.close();
  }
}

async function checkWarehouse(e: Env): Promise<Check> {
  const fix = 'run `npm run setup` to create the demo warehouse';
  if (!existsSync(e.warehousePath)) return result('warehouse', false, `${e.warehousePath} does not exist`, fix);
  try {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(e.warehousePath, { access_mode: 'READ_ONLY', threads: '1', memory_limit: '256MB' });
    try {
      const conn = await instance.connect();
      const reader = await conn.runAndReadAll('SELECT count(*)::INTEGER AS n FROM customers');
      const n = Number(reader.getRowObjects()[0]?.n ?? 0);
      conn.closeSync();
      return n > 0 ? result('warehouse', true, `${n.toLocaleString('en-US')} customers in ${path.basename(e.warehousePath)}`) : result('warehouse', false, 'customers table is empty', fix);
    } finally {
      instance.closeSync();
    }
  } catch (err) {
    return result('warehouse', false, `cannot read ${e.warehousePath}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, fix);
  }
}

export async function runChecks(e: Env): Promise<Check[]> {
  const [database, temporal, warehouse] = await Promise.all([checkDatabase(e), checkTemporal(e), checkWarehouse(e)]);
  return [...database, ...temporal, warehouse];
}
