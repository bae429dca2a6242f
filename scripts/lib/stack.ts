/**
 * A throw-away Backflow stack for benchmarks and chaos runs: a fresh control
 * database (on DATABASE_URL's server, or an embedded PostgreSQL), a Temporal dev
 * server, a prebuilt workflow bundle, and worker PROCESSES that can be killed
 * and restarted. Real parts only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { createDb, type Db } from '../../app/_server/db';
import { childProcessEnv, env, hasEnvValue, PROJECT_ROOT, setEnvValue, type Env } from '../../app/_server/env';
import { createPgPool } from '../../app/_server/pg';
import { applyMigrations } from '../../prisma/migrate';
import { buildWorker } from '../../workflows/temporal/worker-command';
import { startEmbeddedPostgres } from './embedded-postgres';
import { freePort } from './ports';
import { findTemporalCli, startDevServerOnFreePort, stopChild, TEMPORAL_MISSING_FIX } from './temporal-cli';

export type WorkerProcess = { process: ChildProcess; pid: number; ready: Promise<void>; kill: (signal?: NodeJS.Signals) => Promise<void> };

export type Stack = {
  env: Env;
  workDir: string;
  controlUrl: string;
  /** The server hosting the control database (for extra databases, e.g. a source). */
  serverUrl: string;
  db: Db;
  pool: pg.Pool;
  temporal: Client;
  temporalAddress: string;
  spawnWorker(opts: { taskQueue: string; extraEnv?: Record<string, string> }): WorkerProcess;
  stop(): Promise<void>;
};

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function recreateDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return withDatabase(serverUrl, name);
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

export async function startStack(name: string, log: (m: string) => void = () => {}): Promise<Stack> {
  // Throw-away secrets when the caller has none (the stack never outlives the process).
  if (!hasEnvValue('NEXTAUTH_SECRET')) setEnvValue('NEXTAUTH_SECRET', randomBytes(32).toString('base64'));
  if (!hasEnvValue('BACKFLOW_ENCRYPTION_KEY')) setEnvValue('BACKFLOW_ENCRYPTION_KEY', randomBytes(32).toString('base64'));
  const e = env();
  const workDir = path.join(e.dataDir, name);
  await mkdir(workDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const workers = new Set<WorkerProcess>();
  try {
    let serverUrl = e.DATABASE_URL;
    if (!serverUrl) {
      log('starting an embedded PostgreSQL');
      const embedded = await startEmbeddedPostgres({ dataDir: path.join(workDir, 'postgres'), port: await freePort(), database: 'postgres' });
      stops.push(embedded.stop);
      serverUrl = embedded.url;
    }
    const dbName = `backflow_${name.replace(/[^a-z0-9_]/gi, '_')}_${process.pid}`;
    const controlUrl = await recreateDatabase(serverUrl, dbName);
    const server = serverUrl;
    stops.push(() => dropDatabase(server, dbName));
    await applyMigrations(controlUrl);
    const db = createDb(controlUrl);
    stops.push(() => db.$disconnect());
    const pool = createPgPool(controlUrl);
    stops.push(() => pool.end());

    const cli = findTemporalCli(e.TEMPORAL_CLI);
    if (!cli) throw new Error(`Temporal CLI not found — fix: ${TEMPORAL_MISSING_FIX}`);
    log('starting a Temporal dev server');
    const dev = await startDevServerOnFreePort({ binary: cli.path, headless: true });
    stops.push(dev.stop);
    const connection = await Connection.connect({ address: dev.address });
    stops.push(() => connection.close());
    const temporal = new Client({ connection, namespace: 'default' });

    log('building the worker');
    const workerCommand = await buildWorker();

    const spawnWorker = (opts: { taskQueue: string; extraEnv?: Record<string, string> }): WorkerProcess => {
      // The pid is the worker itself (for VmHWM and SIGKILL).
      const child = spawn(process.execPath, workerCommand.argv, {
        cwd: PROJECT_ROOT,
        env: childProcessEnv(e, {
          DATABASE_URL: controlUrl,
          TEMPORAL_ADDRESS: dev.address,
          TEMPORAL_TASK_QUEUE: opts.taskQueue,
          ...workerCommand.env,
          ...opts.extraEnv,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (b: Buffer) => {
        stderr = (stderr + b.toString()).slice(-4000);
      });
      const ready = new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('polling')) resolve();
        });
        child.once('exit', (code, signal) => reject(new Error(`worker exited (${signal ?? code}) before polling: ${stderr}`)));
      });
      ready.catch(() => {});
      const w: WorkerProcess = {
        process: child,
        pid: child.pid!,
        ready,
        kill: async (signal = 'SIGKILL') => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((r) => child.once('exit', r));
          child.kill(signal);
          await exited;
          workers.delete(w);
        },
      };
      workers.add(w);
      return w;
    };

    return {
      env: e,
      workDir,
      controlUrl,
      serverUrl,
      db,
      pool,
      temporal,
      temporalAddress: dev.address,
      spawnWorker,
      stop: async () => {
        for (const w of [...workers]) await stopChild(w.process, 10_000).catch(() => {});
        for (const s of stops.reverse()) await s().catch(() => {});
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const s of stops.reverse()) await s().catch(() => {});
    throw err;
  }
}
