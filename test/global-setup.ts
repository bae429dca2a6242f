/**
 * Real services for the whole test run:
 * - PostgreSQL: the server in DATABASE_URL if set, otherwise an embedded one.
 *   A fresh database (`backflow_test`) is created and migrated for every run.
 * - Temporal: `temporal server start-dev` (in memory, headless) on a free port,
 *   from the installed CLI.
 */
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { env } from '../app/_server/env';
import { applyMigrations } from '../prisma/migrate';
import { startEmbeddedPostgres } from '../scripts/lib/embedded-postgres';
import { freePort } from '../scripts/lib/ports';
import { findTemporalCli, startDevServerOnFreePort, TEMPORAL_MISSING_FIX } from '../scripts/lib/temporal-cli';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** A server URL whose `postgres` database may be used to create throw-away databases. */
    adminDatabaseUrl: string;
    temporalAddress: string;
    temporalCli: string;
  }
}

// Unique per run, so concurrent test runs on one server do not collide.
const TEST_DB = `backflow_test_${process.pid}_${Date.now().toString(36)}`;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const e = env();
  const stops: (() => Promise<void>)[] = [];

  let serverUrl: string;
  if (e.DATABASE_URL) {
    serverUrl = e.DATABASE_URL;
  } else {
    const embedded = await startEmbeddedPostgres({
      trustLocalConnections: true,
      dataDir: path.join(e.dataDir, 'test-postgres'),
      // One embedded test server at a time per checkout; a leftover one is stopped first.
      port: await freePort(),
      database: 'postgres',
    });
    stops.push(embedded.stop);
    serverUrl = embedded.url;
  }
  const adminUrl = withDatabase(serverUrl, 'postgres');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEST_DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEST_DB}`);
  await admin.end();
  const databaseUrl = withDatabase(serverUrl, TEST_DB);
  await applyMigrations(databaseUrl);

  const cli = findTemporalCli(e.TEMPORAL_CLI);
  if (!cli) throw new Error(`Temporal CLI not found — fix: ${TEMPORAL_MISSING_FIX}`);
  const temporal = await startDevServerOnFreePort({ binary: cli.path, headless: true });
  stops.push(temporal.stop);

  project.provide('databaseUrl', databaseUrl);
  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('temporalAddress', temporal.address);
  project.provide('temporalCli', cli.path);

  stops.push(async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${TEST_DB} WITH (FORCE)`);
    await c.end();
  });

  return async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
}
