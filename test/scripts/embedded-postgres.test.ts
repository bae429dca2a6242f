/**
 * The embedded PostgreSQL used when DATABASE_URL is unset: first start
 * initialises, migrations apply, and a restart keeps the data without initdb.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../prisma/migrate';
import { startEmbeddedPostgres, type EmbeddedPg } from '../../scripts/lib/embedded-postgres';
import { freePort } from '../../scripts/lib/ports';

describe('embedded PostgreSQL', () => {
  let parent: string;
  let server: EmbeddedPg | undefined;
  afterAll(async () => {
    await server?.stop();
    if (parent) await rm(parent, { recursive: true, force: true });
  });

  it('initialises once, migrates, and keeps data across a restart', { timeout: 120_000 }, async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'bf-embedded-'));
    await chmod(parent, 0o755); // as root, PostgreSQL runs as the postgres user, which must traverse it
    const dataDir = path.join(parent, 'pg');
    const port = await freePort();
    const logs: string[] = [];
    server = await startEmbeddedPostgres({ dataDir, port, database: 'backflow', log: (m) => logs.push(m) });
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(logs.some((l) => l.includes('initialising'))).toBe(true);
    expect((await applyMigrations(server.url)).length).toBeGreaterThan(0);
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query(`INSERT INTO "Workspace" (id, name, slug) VALUES ('w1', 'Kept', 'kept')`);
    await c.end();
    await server.stop();

    const logs2: string[] = [];
    server = await startEmbeddedPostgres({ dataDir, port, database: 'backflow', log: (m) => logs2.push(m) });
    expect(logs2.some((l) => l.includes('initialising'))).toBe(false);
    expect(await applyMigrations(server.url)).toEqual([]);
    const c2 = new pg.Client({ connectionString: server.url });
    await c2.connect();
    const r = await c2.query('SELECT name FROM "Workspace" WHERE id = $1', ['w1']);
    await c2.end();
    expect(r.rows[0]?.name).toBe('Kept');
  });
});
