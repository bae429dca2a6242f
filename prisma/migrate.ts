/**
 * Migrations through Prisma's own schema engine, compiled to WebAssembly.
 *
 * The native schema engine is downloaded by the Prisma CLI from a server these
 * machines cannot reach, so we drive `@prisma/schema-engine-wasm` directly. The
 * folder layout (prisma/migrations/<timestamp>_<name>/migration.sql plus
 * migration_lock.toml) and the `_prisma_migrations` table are the standard ones,
 * so `prisma migrate deploy` works on the same folder wherever the native engine
 * is available.
 *
 *   tsx prisma/migrate.ts deploy          apply pending migrations
 *   tsx prisma/migrate.ts create <name>   write a migration from schema changes
 *   tsx prisma/migrate.ts status          print pending/failed migrations
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import type { ClientConfig } from 'pg';
import { randomUUID } from 'node:crypto';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';

const here = path.dirname(fileURLToPath(import.meta.url));
export const MIGRATIONS_DIR = path.join(here, 'migrations');
export const SCHEMA_PATH = path.join(here, 'schema.prisma');
const FILTERS = { externalTables: [], externalEnums: [] };
const PRISMA_VERSION = '7.10';

let wasmReady: Promise<void> | undefined;
/** The engine reports a Rust panic through this global before it traps; without it, a panic hangs. */
let lastPanic: string | null = null;
const takePanic = (): string | null => {
  const p = lastPanic;
  lastPanic = null;
  return p;
};
function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    (globalThis as unknown as { PRISMA_WASM_PANIC_REGISTRY: { set_message(m: string): void } }).PRISMA_WASM_PANIC_REGISTRY = {
      set_message: (message: string) => {
        lastPanic = message;
      },
    };
    const require = createRequire(import.meta.url);
    const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm')), 'schema_engine_bg.wasm');
    const bytes = await readFile(wasmPath);
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bg as unknown as WebAssembly.ModuleImports });
    bg.__wbg_set_wasm(instance.exports);
    const start = instance.exports.__wbindgen_start;
    if (typeof start === 'function') start();
  })();
  return wasmReady;
}

/**
 * The schema engine's describe queries read pg_catalog columns of PostgreSQL's
 * internal one-byte `"char"` type (OID 18), which @prisma/adapter-pg 7.10 rejects
 * as an unsupported column type. The values arrive from `pg` as plain strings, so
 * we report those columns as `text` (OID 25) before the adapter maps them.
 */
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
type FieldsResult = { fields: { dataTypeID: number }[] };
function reportCharAsText<A extends object>(adapter: A): A {
  const io = Reflect.get(adapter, 'performIO') as unknown;
  if (typeof io !== 'function') throw new Error('@prisma/adapter-pg changed: performIO is gone; revisit prisma/migrate.ts');
  Reflect.set(adapter, 'performIO', async (...args: unknown[]) => {
    const result = (await io.apply(adapter, args)) as FieldsResult;
    for (const f of result.fields) if (f.dataTypeID === PG_CHAR_OID) f.dataTypeID = PG_TEXT_OID;
    return result;
  });
  return adapter;
}

class MigrationPg extends PrismaPg {
  /** Adapters the engine opened; `engine.free()` does not close them, we must. */
  readonly opened: { dispose(): Promise<void> }[] = [];
  constructor(private readonly clientConfig: ClientConfig) {
    super(clientConfig);
  }
  override async connect() {
    const adapter = reportCharAsText(await super.connect());
    this.opened.push(adapter);
    return adapter;
  }
  /**
   * Our own shadow database: the adapter's version drops the database before
   * closing its pool, which PostgreSQL refuses while those sessions are open.
   */
  override async connectToShadowDb() {
    const main = await super.connect();
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    await main.executeScript(`CREATE DATABASE "${database}"`);
    const shadow = await new PrismaPg({ ...this.clientConfig, database }).connect();
    const disposeShadow = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await disposeShadow();
      await main.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await main.dispose();
    };
    return reportCharAsText(shadow);
  }
}

async function withEngine<T>(databaseUrl: string, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  await loadWasm();
  const schema = await readFile(SCHEMA_PATH, 'utf8');
  // Discrete fields, not `connectionString`: the adapter opens the shadow database
  // as `{ ...config, database }`, and pg lets a connection string override
  // `database`, which would point the "shadow" at the real database.
  const factory = new MigrationPg(parseIntoClientConfig(databaseUrl));
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  const engine = await bg.SchemaEngine.new({ datamodels: [[SCHEMA_PATH, schema]] }, () => {}, adapter);
  takePanic();
  try {
    return await fn(engine);
  } catch (err) {
    const panic = takePanic();
    if (panic) {
      throw new Error(
        `Prisma's schema engine crashed (${panic.split('\n')[0]}) — fix: use a PostgreSQL version Prisma ${PRISMA_VERSION} supports (13–17), e.g. the embedded server`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    engine.free();
    // Closing the pool also releases Prisma's migration advisory lock, which a
    // second run in the same process would otherwise wait 10 s for.
    await Promise.all(factory.opened.map((a) => a.dispose().catch(() => {})));
  }
}

export async function listMigrations(): Promise<MigrationList> {
  await mkdir(MIGRATIONS_DIR, { recursive: true });
  const lockPath = path.join(MIGRATIONS_DIR, 'migration_lock.toml');
  const entries = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrationDirectories = await Promise.all(
    entries.map(async (dir) => {
      const file = path.join(MIGRATIONS_DIR, dir, 'migration.sql');
      const content = existsSync(file)
        ? { tag: 'ok' as const, value: await readFile(file, 'utf8') }
        : { tag: 'error' as const, value: `missing ${file}` };
      return { path: dir, migrationFile: { path: 'migration.sql', content } };
    }),
  );
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/** Applies pending migrations; returns the names applied (empty when up to date). */
export async function applyMigrations(databaseUrl: string): Promise<string[]> {
  const migrationsList = await listMigrations();
  return withEngine(databaseUrl, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList, filters: FILTERS });
    return out.appliedMigrationNames;
  });
}

export type MigrationStatus = {
  total: number;
  pending: string[];
  failed: string[];
  edited: string[];
};

export async function migrationStatus(databaseUrl: string): Promise<MigrationStatus> {
  const migrationsList = await listMigrations();
  return withEngine(databaseUrl, async (engine) => {
    const out = await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: FILTERS });
    const h = out.history;
    const pending =
      h === null
        ? []
        : h.diagnostic === 'databaseIsBehind' || h.diagnostic === 'historiesDiverge'
          ? h.unappliedMigrationNames
          : [];
    return {
      total: migrationsList.migrationDirectories.length,
      pending: out.hasMigrationsTable ? pending : migrationsList.migrationDirectories.map((d) => d.path),
      failed: out.failedMigrationNames,
      edited: out.editedMigrationNames,
    };
  });
}

/**
 * Writes a new migration folder for the difference between the migrations
 * history (replayed on a throw-away shadow database) and prisma/schema.prisma.
 * Returns the folder name, or null when the schema has no changes.
 *
 * The Wasm engine's `createMigration` cannot obtain a shadow database from a
 * driver adapter, but `diff` from a migrations directory can, so we diff and
 * write the folder ourselves in Prisma's layout (<UTC timestamp>_<name>).
 */
export async function createMigration(databaseUrl: string, name: string, now = new Date()): Promise<string | null> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`migration name "${name}" must be snake_case: letters, digits, _`);
  await ensureLockfile();
  const migrationsList = await listMigrations();
  const schema = await readFile(SCHEMA_PATH, 'utf8');
  const script = await withEngine(databaseUrl, async (engine) => {
    const out = await engine.diff({
      from: { tag: 'migrations', ...migrationsList },
      to: { tag: 'schemaDatamodel', files: [{ path: SCHEMA_PATH, content: schema }] },
      script: true,
      exitCode: null,
      filters: FILTERS,
    });
    return out.stdout;
  });
  if (!script || /^-- This is an empty migration\.\s*$/.test(script.trim())) return null;
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const folder = `${stamp}_${name}`;
  await mkdir(path.join(MIGRATIONS_DIR, folder), { recursive: true });
  await writeFile(path.join(MIGRATIONS_DIR, folder, 'migration.sql'), script);
  return folder;
}

async function ensureLockfile(): Promise<void> {
  const lock = path.join(MIGRATIONS_DIR, 'migration_lock.toml');
  if (existsSync(lock)) return;
  await mkdir(MIGRATIONS_DIR, { recursive: true });
  await writeFile(
    lock,
    '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
  );
}

async function main(): Promise<void> {
  const { env } = await import('../app/_server/env');
  const { describeDbError } = await import('../app/_server/errors');
  const [cmd, name] = process.argv.slice(2);
  const url = env().databaseUrl;
  try {
    if (cmd === 'deploy') {
      const applied = await applyMigrations(url);
      console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Database is up to date.');
    } else if (cmd === 'create') {
      if (!name) throw new Error('usage: npm run db:migrate:create -- <name>');
      const created = await createMigration(url, name);
      console.log(created ? `Created prisma/migrations/${created}/migration.sql` : 'No schema changes; nothing to create.');
    } else if (cmd === 'status') {
      const s = await migrationStatus(url);
      console.log(JSON.stringify(s));
      if (s.pending.length || s.failed.length) process.exitCode = 1;
    } else {
      throw new Error('usage: tsx prisma/migrate.ts deploy | create <name> | status');
    }
  } catch (err) {
    console.error(`Migration failed: ${describeDbError(err, url)}`);
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
