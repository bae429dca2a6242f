/**
 * Bringing up the control-plane database for scripts: the embedded server when
 * DATABASE_URL is unset, otherwise a reachability check of the given server.
 */
import path from 'node:path';
import pg from 'pg';
import type { Env } from '../../app/_server/env';
import { startEmbeddedPostgres, type EmbeddedPg } from './embedded-postgres';
import { describeDbError } from '../../app/_server/errors';

export type DatabaseHandle = { url: string; embedded: EmbeddedPg | null; stop: () => Promise<void> };

export async function assertReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(describeDbError(err, url));
  } finally {
    await client.end().catch(() => {});
  }
}

export async function bringUpDatabase(e: Env, log: (m: string) => void): Promise<DatabaseHandle> {
  if (!e.usesEmbeddedPostgres) {
    await assertReachable(e.databaseUrl);
    return { url: e.databaseUrl, embedded: null, stop: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(e.dataDir, 'postgres'),
    port: e.EMBEDDED_PG_PORT,
    database: 'backflow',
    log,
  });
  return { url: embedded.url, embedded, stop: embedded.stop };
}
