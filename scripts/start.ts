/**
 * `npm start`: PostgreSQL (embedded unless DATABASE_URL), Temporal (dev server
 * unless TEMPORAL_ADDRESS), the worker and the Next.js app, supervised together.
 *
 * - Every failure before start-up completes prints one line (cause — fix) and
 *   exits non-zero, after stopping whatever it had started.
 * - A second `npm start` is refused through .data/backflow.pid.
 * - Ctrl-C / SIGTERM stops the app and worker first (the worker drains), then
 *   Temporal, then PostgreSQL. If any child dies, everything is stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { childProcessEnv, env, EnvError, PROJECT_ROOT, requireSecrets, type Env } from '../app/_server/env';
import { bringUpDatabase, type DatabaseHandle } from './lib/database';
import { describeDbError, oneLine } from '../app/_server/errors';
import { buildWorker } from '../workflows/temporal/worker-command';
import { fail, info, step } from './lib/log';
import { isPortInUse, waitForPort } from './lib/ports';
import { devServerDbFile, findTemporalCli, startDevServer, stopChild, TEMPORAL_MISSING_FIX, type DevServer } from './lib/temporal-cli';

const cleanups: (() => Promise<void>)[] = [];
let shuttingDown = false;

async function shutdown(code: number, reason?: string): Promise<never> {
  if (shuttingDown) return new Promise<never>(() => {});
  shuttingDown = true;
  if (reason) console.error(reason);
  for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.error(`  cleanup: ${oneLine(err)}`));
  process.exit(code);
}

async function abort(message: string): Promise<never> {
  console.error(`✖ ${message}`);
  return shutdown(1);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One `npm start` per data directory. */
async function acquireInstanceLock(e: Env): Promise<void> {
  await mkdir(e.dataDir, { recursive: true });
  const file = path.join(e.dataDir, 'backflow.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      cleanups.push(() => rm(file, { force: true }));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(file, 'utf8')).trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        fail(`Backflow is already running (pid ${pid}) — fix: use that instance, or stop it (Ctrl-C in its terminal, or kill ${pid})`);
      }
      await rm(file, { force: true }); // stale: the previous start was killed
    }
  }
  fail(`could not take the lock ${file} — fix: remove it if no Backflow is running`);
}

async function assertPortFree(port: number, variable: string, what: string): Promise<void> {
  if (await isPortInUse(port)) {
    await abort(`port ${port} (${what}) is already in use — fix: stop the process using it, or set ${variable} to a free port`);
  }
}

function prefixOutput(child: ChildProcess, label: string): void {
  const write = (stream: NodeJS.WriteStream) => (buf: Buffer) => {
    for (const line of buf.toString('utf8').split('\n')) if (line.trim()) stream.write(`[${label}] ${line}\n`);
  };
  child.stdout?.on('data', write(process.stdout));
  child.stderr?.on('data', write(process.stderr));
}

function supervise(child: ChildProcess, label: string, graceMs: number): void {
  prefixOutput(child, label);
  child.once('exit', (code, signal) => {
    if (!shuttingDown) void shutdown(1, `✖ ${label} exited unexpectedly (${signal ?? `code ${code}`}); stopping Backflow — fix: see the [${label}] lines above`);
  });
  cleanups.push(() => stopChild(child, graceMs));
}

function bin(name: string): string {
  return path.join(PROJECT_ROOT, 'node_modules', '.bin', name);
}

async function main(): Promise<void> {
  let e: Env;
  try {
    e = env();
    requireSecrets(e);
  } catch (err) {
    if (err instanceof EnvError) fail(err.message);
    throw err;
  }
  await acquireInstanceLock(e);
  process.on('SIGINT', () => void shutdown(0, '\n▸ stopping Backflow…'));
  process.on('SIGTERM', () => void shutdown(0, '▸ stopping Backflow…'));

  await assertPortFree(e.PORT, 'PORT', 'the web app');
  let temporalBinary: string | null = null;
  if (e.usesLocalTemporal) {
    const found = findTemporalCli(e.TEMPORAL_CLI);
    if (!found) {
      await abort(
        e.TEMPORAL_CLI
          ? `TEMPORAL_CLI=${e.TEMPORAL_CLI} is not an executable file — fix: point it at the temporal binary, or unset it`
          : `the Temporal CLI was not found (TEMPORAL_CLI, PATH, Go's bin folder) — fix: run \`npm run setup\`, or ${TEMPORAL_MISSING_FIX}`,
      );
    }
    temporalBinary = found!.path;
    await assertPortFree(e.TEMPORAL_PORT, 'TEMPORAL_PORT', 'the Temporal dev server');
    await assertPortFree(e.TEMPORAL_UI_PORT, 'TEMPORAL_UI_PORT', 'the Temporal Web UI');
  }
  step(e.usesEmbeddedPostgres ? `PostgreSQL (embedded, port ${e.EMBEDDED_PG_PORT})` : 'PostgreSQL (DATABASE_URL)');
  let database: DatabaseHandle;
  try {
    database = await bringUpDatabase(e, info);
  } catch (err) {
    return abort(oneLine(err));
  }
  cleanups.push(() => database.stop());
  try {
    const { applyMigrations } = await import('../prisma/migrate');
    const applied = await applyMigrations(database.url);
    info(applied.length ? `applied ${applied.length} pending migration(s)` : 'migrations up to date');
  } catch (err) {
    await abort(`migrations failed: ${describeDbError(err, database.url)}`);
  }

  if (!existsSync(path.join(PROJECT_ROOT, '.next', 'BUILD_ID'))) {
    await abort('the app has not been built — fix: run `npm run setup` (or `npx next build`)');
  }

  let temporal: DevServer | null = null;
  if (temporalBinary) {
    step(`Temporal dev server (${e.temporalAddress}, UI ${e.temporalUiUrl})`);
    try {
      temporal = await startDevServer({
        binary: temporalBinary,
        port: e.TEMPORAL_PORT,
        uiPort: e.TEMPORAL_UI_PORT,
        dbFile: devServerDbFile(e.dataDir),
        onOutput: (line) => process.stderr.write(`[temporal] ${line}\n`),
      });
    } catch (err) {
      await abort(`the Temporal dev server did not start: ${oneLine(err)} — fix: check the [temporal] lines above`);
    }
    const t = temporal!;
    t.process.once('exit', (code, signal) => {
      if (!shuttingDown) void shutdown(1, `✖ Temporal dev server exited unexpectedly (${signal ?? `code ${code}`})`);
    });
    cleanups.push(() => t.stop());
  } else {
    step(`Temporal (TEMPORAL_ADDRESS=${e.temporalAddress})`);
    const [host, port] = e.temporalAddress.split(':');
    if (!(await isPortInUse(Number(port), host))) {
      await abort(`Temporal at TEMPORAL_ADDRESS=${e.temporalAddress} is not reachable — fix: start it, or unset TEMPORAL_ADDRESS to run the local dev server`);
    }
  }

  const childEnv = childProcessEnv(e, { DATABASE_URL: database.url });
  step('Worker');
  const workerCommand = await buildWorker().catch((err: unknown) => abort(`the worker could not be built: ${oneLine(err)}`));
  const worker = spawn(process.execPath, workerCommand.argv, { cwd: PROJECT_ROOT, env: { ...childEnv, ...workerCommand.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  supervise(worker, 'worker', 60_000);

  step(`App (${e.appUrl})`);
  const app = spawn(bin('next'), ['start', '-p', String(e.PORT)], { cwd: PROJECT_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  supervise(app, 'app', 10_000);
  await waitForPort(e.PORT, '127.0.0.1', 60_000, 'the web app').catch((err: unknown) => abort(oneLine(err)));

  console.log(`\n✔ Backflow is up: ${e.appUrl}`);
  if (temporal) console.log(`  Temporal Web UI: ${e.temporalUiUrl}`);
  console.log('  Press Ctrl-C to stop.\n');
}

main().catch((err: unknown) => abort(oneLine(err)));
