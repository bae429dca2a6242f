/**
 * `npm run bench -- --rows N [--sources duckdb,postgres] [--duckdb-memory 64MB] [--json]`
 *
 * Measures the sync engine against a naive baseline, in one run, per source:
 *   raw_rows_per_s        pull the same mapped rows into Node and hash them there
 *                         (no staging, no delivery) — the baseline
 *   full_sync_rows_per_s  initial sync to the no-op test sink
 *   incremental_s         a run after 1% of rows changed (updates of mapped
 *                         columns on random keys, inserts and deletes; mirror)
 *   incremental_ratio_to_raw  incremental_s / baseline time for the same N rows
 *   peak_rss_mb           VmHWM of a fresh worker process
 *   history_events_max    largest single execution's event count; chain_length
 *
 * Fails (exit 1) unless the sink received exactly the changed keys. Prints one
 * JSON array on one line (--json), or a table. Real parts only: a Temporal dev
 * server, PostgreSQL (DATABASE_URL or embedded) and DuckDB. Not a timed test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { encryptCredentials } from '../app/_server/connections/runtime';
import { createDb, type Db } from '../app/_server/db';
import { childProcessEnv, env, PROJECT_ROOT, requireSecrets, setEnvValue, hasEnvValue } from '../app/_server/env';
import { closeDuckDbInstances, duckdbSource } from '../connectors/sources/duckdb';
import { ZDuckDbConfig } from '../connectors/sources/duckdb/schema';
import { postgresSource } from '../connectors/sources/postgres';
import { ZPlan, type TPlanPath } from '../workflows/compile/plan';
import { canonicalText, contentHash, encodeCanonical, fieldsSignature } from '../workflows/engine/hash';
import { startRun } from '../workflows/temporal/client';
import { buildWorker } from '../workflows/temporal/worker-command';
import type { SyncResult } from '../workflows/temporal/workflows';
import { applyMigrations } from '../prisma/migrate';
import { changeStatements, FIELDS, modelSelect, planSql, plannedChange, TABLE } from './lib/bench-model';
import { startEmbeddedPostgres } from './lib/embedded-postgres';
import { freePort } from './lib/ports';
import { findTemporalCli, startDevServerOnFreePort, TEMPORAL_MISSING_FIX } from './lib/temporal-cli';
import { randomBytes } from 'node:crypto';
import { unlimited } from '../app/_server/connections/runtime';

type Args = { rows: number; json: boolean; sources: ('duckdb' | 'postgres')[]; keep: boolean; duckdbMemory: string };

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const rows = Number(get('rows') ?? 1_000_000);
  if (!Number.isInteger(rows) || rows < 1000) throw new Error('--rows must be an integer ≥ 1000');
  const sources = (get('sources') ?? 'duckdb,postgres').split(',') as Args['sources'];
  const duckdbMemory = get('duckdb-memory') ?? DUCKDB_MEMORY;
  if (!ZDuckDbConfig.shape.memoryLimit.safeParse(duckdbMemory).success) throw new Error('--duckdb-memory must be a size such as 128MB');
  return { rows, json: argv.includes('--json'), sources, keep: argv.includes('--keep'), duckdbMemory };
}

/**
 * The DuckDB source's memoryLimit. DuckDB runs inside the worker process, so
 * this bounds its share of the worker's peak memory; past it, sorts and
 * aggregates spill to disk. At 1M rows 64MB is as fast as 128MB with a peak
 * ~15 MB lower (316–317 against 324–333 MB), and since the incremental merge
 * reads the differing buckets in groups (buckets.ts mergeChunks) it no longer
 * runs out of memory at 5M. 32MB runs out of memory in the first sync at 5M.
 */
const DUCKDB_MEMORY = '64MB';

async function buildDuckDb(file: string, n: number): Promise<void> {
  await rm(file, { force: true });
  const instance = await DuckDBInstance.create(file, { threads: '2', memory_limit: '2GB' });
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE ${TABLE} AS ${modelSelect('duckdb', 1, n + 1)}`);
  conn.closeSync();
  instance.closeSync();
}

async function runDuckDb(file: string, statements: string[]): Promise<void> {
  closeDuckDbInstances();
  // The worker closes its read-only instance about a second after a run; until
  // then its lock keeps writers out, so wait for it.
  let instance: DuckDBInstance | null = null;
  for (let attempt = 0; !instance; attempt++) {
    try {
      instance = await DuckDBInstance.create(file, { threads: '2', memory_limit: '2GB' });
    } catch (err) {
      if (attempt >= 50 || !String(err).includes('Could not set lock')) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const conn = await instance.connect();
  for (const s of statements) await conn.run(s);
  conn.closeSync();
  instance.closeSync();
}

async function buildPostgres(url: string, n: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await c.query(`CREATE TABLE ${TABLE} AS ${modelSelect('postgres', 1, n + 1)}`);
  await c.query(`ALTER TABLE ${TABLE} ADD PRIMARY KEY (id)`);
  await c.query(`ANALYZE ${TABLE}`);
  await c.end();
}

async function runPostgres(url: string, statements: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  for (const s of statements) await c.query(s);
  await c.end();
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function recreateDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return withDatabase(serverUrl, name);
}

/** The naive path: same mapped rows pulled into Node, canonicalised and hashed there. */
async function rawBaseline(source: 'duckdb' | 'postgres', sourceConfig: unknown, credentials: unknown): Promise<{ seconds: number; rows: number }> {
  const signature = fieldsSignature([...FIELDS]);
  const ctx = {
    connectionId: 'bench',
    connectionName: 'bench source',
    credentials,
    config: sourceConfig,
    limiter: unlimited,
    signal: new AbortController().signal,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    updateCredentials: async () => ({}),
  };
  const connector = source === 'duckdb' ? duckdbSource : postgresSource;
  const started = process.hrtime.bigint();
  let rows = 0;
  const sink = createHash('md5');
  // eslint-disable-next-line @typescript-eslint/no-unsafe-argument
  for await (const batch of connector.read(planSql(source), ctx as never, { batchSize: 20_000 })) {
    for (const r of batch) {
      const canonical = encodeCanonical(FIELDS.map((f) => canonicalText(f.type, r[f.name])));
      sink.update(contentHash(signature, canonical));
      rows++;
    }
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, rows };
}

function vmHwmMb(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => {
    const m = /VmHWM:\s+(\d+) kB/.exec(s);
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  });
}

async function historyStats(client: Client, runId: string): Promise<{ max: number; chain: number }> {
  let max = 0;
  let chain = 0;
  let nextPageToken: Uint8Array | undefined;
  do {
    const res = await client.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `WorkflowId = '${runId}'`,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const exec of res.executions ?? []) {
      chain++;
      max = Math.max(max, Number(exec.historyLength ?? 0));
    }
    nextPageToken = res.nextPageToken && res.nextPageToken.length ? res.nextPageToken : undefined;
  } while (nextPageToken);
  return { max, chain };
}

async function readSinkLog(file: string): Promise<Map<string, string>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [op, key] = line.split('\t');
    if (m.has(key!)) throw new Error(`the sink received key ${key} twice in one run`);
    m.set(key!, op!);
  }
  return m;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (m: string) => {
    if (!args.json) console.log(m);
    else process.stderr.write(`${m}\n`);
  };
  if (!hasEnvValue('NEXTAUTH_SECRET')) setEnvValue('NEXTAUTH_SECRET', randomBytes(32).toString('base64'));
  if (!hasEnvValue('BACKFLOW_ENCRYPTION_KEY')) setEnvValue('BACKFLOW_ENCRYPTION_KEY', randomBytes(32).toString('base64'));
  const e = env();
  requireSecrets(e);
  const work = path.join(e.dataDir, 'bench');
  await mkdir(work, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };

  try {
    // Control plane: a dedicated database on DATABASE_URL's server, or an embedded server.
    let serverUrl = e.DATABASE_URL;
    if (!serverUrl) {
      const embedded = await startEmbeddedPostgres({ dataDir: path.join(work, 'postgres'), port: await freePort(), database: 'postgres' });
      stops.push(embedded.stop);
      serverUrl = embedded.url;
    }
    const controlUrl = await recreateDatabase(serverUrl, 'backflow_bench');
    const sourceUrl = await recreateDatabase(serverUrl, 'backflow_bench_source');
    await applyMigrations(controlUrl);
    const db: Db = createDb(controlUrl);
    stops.push(() => db.$disconnect());

    const cli = findTemporalCli(e.TEMPORAL_CLI);
    if (!cli) throw new Error(`Temporal CLI not found — fix: ${TEMPORAL_MISSING_FIX}`);
    const temporal = await startDevServerOnFreePort({ binary: cli.path, headless: true });
    stops.push(temporal.stop);
    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: 'default' });
    stops.push(() => connection.close());

    // Workers run built, as in production (docs/deploy.md): no tsx, no webpack at start-up.
    const workerCommand = await buildWorker();

    const workspace = await db.workspace.create({ data: { name: 'Bench', slug: `bench-${Date.now()}` } });
    const results: Record<string, unknown>[] = [];

    for (const source of args.sources) {
      log(`▸ ${source}: building ${args.rows.toLocaleString('en-US')} rows`);
      const duckFile = path.join(work, 'bench.duckdb');
      const pgu = new URL(sourceUrl);
      const sourceConfig =
        source === 'duckdb'
          ? { path: duckFile, threads: 2, memoryLimit: args.duckdbMemory }
          : { host: pgu.hostname, port: Number(pgu.port || 5432), database: pgu.pathname.slice(1), user: decodeURIComponent(pgu.username || 'postgres'), ssl: 'disable' };
      if (source === 'duckdb') await buildDuckDb(duckFile, args.rows);
      else await buildPostgres(sourceUrl, args.rows);

      log(`  baseline: pulling and hashing every row in Node`);
      const sourceCredentials = source === 'duckdb' ? {} : { password: decodeURIComponent(pgu.password) };
      const raw = await rawBaseline(
        source,
        source === 'duckdb' ? { ...sourceConfig, files: [] } : { ...sourceConfig, schemas: [], statementTimeoutSeconds: 3600, connectTimeoutSeconds: 10 },
        sourceCredentials,
      );
      closeDuckDbInstances();

      const sinkLog = path.join(work, `sink-${source}.log`);
      await rm(sinkLog, { force: true });
      const mkConn = async (kind: 'source' | 'destination', connector: string, config: unknown, credentials: unknown) => {
        const id = `conn_${source}_${kind}_${Date.now()}`;
        return db.connection.create({
          data: { id, workspaceId: workspace.id, name: id, kind, connector, config: config as object, credentials: encryptCredentials(id, credentials) },
        });
      };
      const src = await mkConn('source', source, sourceConfig, sourceCredentials);
      const sink = await mkConn('destination', 'noop-sink', { logFile: sinkLog }, {});
      const pipeline = await db.pipeline.create({ data: { workspaceId: workspace.id, name: `bench ${source} ${Date.now()}`, draft: {} } });
      const planPath: TPlanPath = {
        id: 'dest',
        nodeIds: ['query', 'dest'],
        source: { connectionId: src.id, dialect: source },
        sql: planSql(source),
        primaryKey: ['id'],
        fields: FIELDS.map((f) => ({ ...f })),
        matchField: 'email',
        destination: { connectionId: sink.id, connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} },
      };
      const plan = ZPlan.parse({ version: 1, pipelineId: pipeline.id, paths: [planPath] });
      await db.pipelineVersion.create({
        data: { pipelineId: pipeline.id, number: 1, graph: {}, plan: JSON.parse(JSON.stringify(plan)) as object, planHash: createHash('sha256').update(JSON.stringify(plan)).digest('hex') },
      });

      // A fresh worker process, so VmHWM is this workload's peak.
      const taskQueue = `bench-${source}-${Date.now()}`;
      // The pid must be the worker itself (VmHWM).
      const worker: ChildProcess = spawn(process.execPath, workerCommand.argv, {
        cwd: PROJECT_ROOT,
        env: childProcessEnv(e, {
          DATABASE_URL: controlUrl,
          TEMPORAL_ADDRESS: temporal.address,
          TEMPORAL_TASK_QUEUE: taskQueue,
          ...workerCommand.env,
          ...(process.argv.includes('--verbose') ? { LOG_LEVEL: 'debug' } : {}),
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Stopped on any failure too, or an orphaned worker would keep polling.
      stops.push(async () => {
        if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
      });
      let workerErr = '';
      worker.stderr?.on('data', (b: Buffer) => (workerErr += b.toString()));
      // --verbose: the worker's activity timings (LOG_LEVEL=debug) go to stderr.
      if (process.argv.includes('--verbose')) worker.stdout?.on('data', (b: Buffer) => process.stderr.write(b));
      await new Promise<void>((resolve, reject) => {
        let out = '';
        worker.stdout?.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('polling')) resolve();
        });
        worker.once('exit', (code) => reject(new Error(`worker exited (${code}): ${workerErr}`)));
      });

      const timedRun = async (): Promise<{ seconds: number; result: SyncResult; runId: string }> => {
        const t0 = process.hrtime.bigint();
        const runId = await startRun(client, taskQueue, { pipelineId: pipeline.id, trigger: 'api' });
        const result = await client.workflow.getHandle(runId).result();
        return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, result, runId };
      };

      log(`  worker ready, peak RSS so far ${await vmHwmMb(worker.pid!)} MB`);
      log(`  full sync`);
      const full = await timedRun();
      if (full.result.status !== 'succeeded') throw new Error(`full sync ended ${full.result.status}: ${(await db.run.findUnique({ where: { id: full.runId } }))?.error}`);
      const fullLog = await readSinkLog(sinkLog);
      if (fullLog.size !== args.rows) throw new Error(`full sync delivered ${fullLog.size} rows, expected ${args.rows}`);
      await rm(sinkLog, { force: true });

      log(`  peak RSS after the full sync ${await vmHwmMb(worker.pid!)} MB`);
      log(`  1% change, then incremental sync`);
      const change = plannedChange(args.rows);
      if (source === 'duckdb') await runDuckDb(duckFile, changeStatements('duckdb', args.rows, change));
      else await runPostgres(sourceUrl, changeStatements('postgres', args.rows, change));
      const inc = await timedRun();
      if (inc.result.status !== 'succeeded') throw new Error(`incremental sync ended ${inc.result.status}: ${(await db.run.findUnique({ where: { id: inc.runId } }))?.error}`);
      const got = await readSinkLog(sinkLog);
      const expected = new Map<string, string>([
        ...change.updates.map((k) => [String(k), 'upsert'] as const),
        ...change.inserts.map((k) => [String(k), 'upsert'] as const),
        ...change.deletes.map((k) => [String(k), 'delete'] as const),
      ]);
      const wrong = [...expected].filter(([k, op]) => got.get(k) !== op).length + [...got.keys()].filter((k) => !expected.has(k)).length;
      if (wrong > 0) throw new Error(`the sink did not receive exactly the changed keys: ${wrong} difference(s) (got ${got.size}, expected ${expected.size})`);

      const peak = await vmHwmMb(worker.pid!);
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
      const [hFull, hInc] = await Promise.all([historyStats(client, full.runId), historyStats(client, inc.runId)]);

      results.push({
        source,
        rows: args.rows,
        machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM`,
        raw_rows_per_s: Math.round(raw.rows / raw.seconds),
        full_sync_rows_per_s: Math.round(args.rows / full.seconds),
        incremental_s: Number(inc.seconds.toFixed(2)),
        incremental_ratio_to_raw: Number((inc.seconds / raw.seconds).toFixed(2)),
        peak_rss_mb: peak,
        history_events_max: Math.max(hFull.max, hInc.max),
        chain_length: hFull.chain,
        full_sync_s: Number(full.seconds.toFixed(2)),
        raw_s: Number(raw.seconds.toFixed(2)),
        changed_keys: expected.size,
      });
      log(`  done: ${JSON.stringify(results[results.length - 1])}`);
    }

    if (args.json) console.log(JSON.stringify(results));
    else console.table(results);
  } finally {
    closeDuckDbInstances();
    await cleanup();
    if (!args.keep) await rm(path.join(work, 'bench.duckdb'), { force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
