import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations, createMigration, listMigrations, migrationStatus } from '../../prisma/migrate';

/** A throw-away empty database on the test server. */
async function emptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `bf_migrate_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

describe('migrations (Prisma schema engine, Wasm)', () => {
  let db: Awaited<ReturnType<typeof emptyDatabase>>;
  beforeAll(async () => {
    db = await emptyDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('apply to an empty database, and a second apply is a no-op', async () => {
    const all = (await listMigrations()).migrationDirectories.map((d) => d.path);
    expect(all.length).toBeGreaterThan(0);

    const before = await migrationStatus(db.url);
    expect(before.pending).toEqual(all);

    const first = await applyMigrations(db.url);
    expect(first).toEqual(all);

    const second = await applyMigrations(db.url);
    expect(second).toEqual([]);

    const after = await migrationStatus(db.url);
    expect(after).toMatchObject({ pending: [], failed: [], edited: [] });

    // The standard table that `prisma migrate deploy` keeps.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const rows = await client.query('SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name');
    await client.end();
    expect(rows.rows.map((r) => r.migration_name)).toEqual(all);
    expect(rows.rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  it('creates no migration when the schema matches the history, and leaves no shadow database behind', async () => {
    expect(await createMigration(db.url, 'nothing_changed')).toBeNull();
    const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
    await admin.connect();
    const shadows = await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'");
    await admin.end();
    expect(shadows.rowCount).toBe(0);
  });
});
