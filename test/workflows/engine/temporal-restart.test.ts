/**
 * A run survives a restart of the Temporal server. The test starts its own
 * dev server with SQLite persistence (`--db-filename`), a worker process
 * connected to it, and a run that delivers batch by batch to the HubSpot
 * sandbox (its custom object has no unique property, so every delivery is a
 * non-idempotent create and a re-sent batch would show as a duplicate). Mid-run
 * the server is stopped (SIGTERM) and started again on the same port and file:
 * the run must finish from the persisted history, with every row created
 * exactly once and counts that balance.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { startDevServer, startDevServerOnFreePort, type DevServer } from '../../../scripts/lib/temporal-cli';
import { connectClient, startRun } from '../../../workflows/temporal/client';
import { createWorkspace, testDb, testPool } from '../../helpers/db';
import { createConnection, createPipelineWithPlan, duckdbSql } from '../../helpers/pipelines';
import { spawnWorkerProcess, type WorkerProc } from '../../helpers/worker-process';
import { spawnSandbox, type SandboxProcess } from '../../sandboxes/lib/spawn';

const TOKEN = 'pat-temporal-restart';
const OBJECT = 'p_loyalty_members';
const ROWS = 600;
const BATCH = 10; // 60 create requests at HubSpot's 9/s: several seconds of delivery
const TERMINAL = ['succeeded', 'partial', 'failed', 'cancelled'];
const ZCreated = z.object({ member_key: z.string() });

let dir: string;
let dbFile: string;
let port: number;
let server: DevServer | undefined;
let sandbox: SandboxProcess;
let worker: WorkerProc | undefined;
let client: Client | undefined;
let workerLog = '';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; worker output: ${workerLog.slice(-2000)}`);
    await sleep(200);
  }
}

/** The restart: the same port and file, so the worker's connection finds it again. */
function restartDevServer(): Promise<DevServer> {
  return startDevServer({ binary: inject('temporalCli'), port, dbFile, headless: true });
}

describe('a run survives a Temporal server restart (SQLite persistence)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bf-temporal-restart-'));
    dbFile = path.join(dir, 't.db');
    // The first start may take another port when one exits while starting.
    [server, sandbox] = await Promise.all([
      startDevServerOnFreePort({ binary: inject('temporalCli'), dbFile, headless: true }),
      spawnSandbox('hubspot', { env: { HUBSPOT_SANDBOX_PRIVATE_TOKEN: TOKEN, HUBSPOT_SANDBOX_SEARCH_PER_SECOND: '1000' } }),
    ]);
    port = server.port;
  });

  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await client?.connection.close();
    await server?.stop();
    await sandbox?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('finishes the run after the server was stopped and started again mid-run, every row created exactly once', { timeout: 240_000 }, async () => {
    const db = testDb();
    const address = `127.0.0.1:${port}`;

    const warehouse = path.join(dir, 'wh.duckdb');
    const instance = await DuckDBInstance.create(warehouse);
    const conn = await instance.connect();
    await conn.run(`CREATE TABLE members AS SELECT i AS id, 'm' || i AS member_key, (['bronze', 'silver', 'gold'])[1 + (i % 3)] AS tier FROM range(1, ${ROWS + 1}) t(i)`);
    conn.closeSync();
    instance.closeSync();

    const { workspace } = await createWorkspace(db);
    const src = await createConnection(db, workspace.id, { kind: 'source', connector: 'duckdb', config: { path: warehouse } });
    const dest = await createConnection(db, workspace.id, {
      kind: 'destination',
      connector: 'hubspot',
      config: { baseUrl: sandbox.url, timeoutMs: 5_000 },
      credentials: { type: 'private_app', accessToken: TOKEN },
    });
    const fields = ['member_key', 'tier'];
    const { pipeline } = await createPipelineWithPlan(db, workspace.id, () => [
      {
        id: 'dest',
        source: { connectionId: src.id, dialect: 'duckdb' },
        sql: duckdbSql('members', 'id', fields),
        fields: fields.map((name) => ({ name, type: 'string' as const, whenNull: 'send_null' as const, onlyIfEmpty: false })),
        matchField: 'member_key',
        destination: { connectionId: dest.id, connector: 'hubspot', object: OBJECT, mode: 'upsert', options: {} },
      },
    ]);

    const taskQueue = `temporal-restart-${Date.now()}`;
    worker = await spawnWorkerProcess(taskQueue, {}, address);
    worker.child.stdout?.on('data', (b: Buffer) => (workerLog = (workerLog + b.toString()).slice(-8000)));
    worker.child.stderr?.on('data', (b: Buffer) => (workerLog = (workerLog + b.toString()).slice(-8000)));
    await worker.ready;
    client = await connectClient({ address, namespace: 'default', taskQueue });
    const runId = await startRun(client, taskQueue, {
      pipelineId: pipeline.id,
      trigger: 'api',
      // One batch at a time, and continue-as-new every 20 batches, so the restart lands mid-delivery.
      settings: { maxBatchSize: BATCH, concurrency: 1, batchesPerExecution: 20, heartbeatTimeoutMs: 5_000 },
    });

    const target = () => db.runTarget.findFirst({ where: { runId } });
    await until('10 delivered batches', 120_000, async () => ((await target())?.batchesDone ?? 0) >= 10);

    // Stop the server mid-run; the worker keeps running and loses its connection.
    await client.connection.close();
    client = undefined;
    const pidBefore = server?.process.pid;
    await server?.stop();
    const stoppedAt = Date.now();
    const atStop = await target();
    expect(atStop?.batchesTotal).toBe(ROWS / BATCH);
    expect(atStop?.batchesDone ?? 0).toBeLessThan(ROWS / BATCH);
    await sleep(2_000);
    server = await restartDevServer();
    expect(server.process.pid).not.toBe(pidBefore);
    const restartedAt = Date.now();

    await until('the run to finish after the restart', 180_000, async () => {
      const run = await db.run.findUnique({ where: { id: runId } });
      return !!run && TERMINAL.includes(run.status);
    });
    // The restarted server knows the workflow: its history was persisted, not rebuilt.
    client = await connectClient({ address, namespace: 'default', taskQueue });
    const result = await client.workflow.getHandle(runId).result();
    expect(result.status).toBe('succeeded');
    expect(result.executions).toBeGreaterThanOrEqual(3);

    const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe('succeeded');
    const t = await target();
    expect(t).toMatchObject({ status: 'succeeded', queried: ROWS, invalid: 0, added: ROWS, accepted: ROWS, rejected: 0, exhausted: 0, skipped: 0 });

    // Exactly once: one create per key, all keys present, and delivery went on both before the stop and after the restart.
    const creates = (await sandbox.creates()).filter((c) => c.object === OBJECT);
    const perKey = new Map<string, number>();
    for (const c of creates) {
      // The sandbox logs the properties of each created record.
      const key = ZCreated.parse(c.record).member_key;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    expect([...perKey.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(perKey.size).toBe(ROWS);
    expect(await sandbox.records<unknown[]>({ object: OBJECT })).toHaveLength(ROWS);
    expect(creates.filter((c) => c.at < stoppedAt).length).toBeGreaterThan(0);
    expect(creates.filter((c) => c.at > restartedAt).length).toBeGreaterThan(0);

    const synced = await testPool().query<{ n: number }>('SELECT count(*)::int AS n FROM sync_state WHERE sync_target_id = $1', [t!.syncTargetId]);
    expect(synced.rows[0]!.n).toBe(ROWS);
  });
});
