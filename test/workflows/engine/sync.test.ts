/**
 * The sync engine end to end on real parts: DuckDB warehouse → Temporal dev
 * server + worker → PostgreSQL staging/state → the test sink (which logs every
 * row it receives).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeDuckDbInstances } from '../../../connectors/sources/duckdb';
import { RECORD_KEY_COLUMN } from '../../../workflows/compile/plan';
import { stagingTable } from '../../../workflows/engine/staging';
import { startRun } from '../../../workflows/temporal/client';
import { progressQuery, skipDeletesSignal, type SyncResult } from '../../../workflows/temporal/workflows';
import { createWorkspace, testDb, testPool } from '../../helpers/db';
import { createConnection, createPipelineWithPlan, duckdbSql, publishPlan, type PathSpec } from '../../helpers/pipelines';
import { startWorker, temporalClient, type RunningWorker } from '../../helpers/temporal';

const ROWS = 2_000;

let dir: string;
let warehouse: string;
let logFile: string;
let worker: RunningWorker;
let client: Client;

async function sql(statements: string[]): Promise<void> {
  closeDuckDbInstances(); // the source holds the file read-only; one writer at a time
  await new Promise((r) => setTimeout(r, 50));
  const instance = await DuckDBInstance.create(warehouse);
  const conn = await instance.connect();
  for (const s of statements) await conn.run(s);
  conn.closeSync();
  instance.closeSync();
}

type LogLine = { op: string; key: string };
async function readLog(): Promise<LogLine[]> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [op, key] = l.split('\t');
      return { op: op!, key: key! };
    });
}

async function run(pipelineId: string, maxBatchSize = 250): Promise<{ result: SyncResult; runId: string }> {
  const runId = await startRun(client, worker.taskQueue, {
    pipelineId,
    trigger: 'manual',
    settings: { heartbeatTimeoutMs: 10_000, batchesPerExecution: 3, concurrency: 2, maxBatchSize },
  });
  const result = await client.workflow.getHandle(runId).result();
  return { result, runId };
}

async function targetOf(runId: string) {
  const targets = await testDb().runTarget.findMany({ where: { runId } });
  expect(targets).toHaveLength(1);
  return targets[0]!;
}

describe('sync engine on Temporal', () => {
  let workspaceId: string;
  let sourceId: string;
  let sinkId: string;
  const path1 = (where = ''): PathSpec[] => [
    {
      id: 'dest',
      source: { connectionId: sourceId, dialect: 'duckdb' },
      sql: duckdbSql('people', 'id', ['email', 'score', 'active', 'updated_at'], where),
      fields: [
        { name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
        { name: 'score', type: 'number', whenNull: 'omit', onlyIfEmpty: false },
        { name: 'active', type: 'boolean', whenNull: 'send_null', onlyIfEmpty: false },
        { name: 'updated_at', type: 'timestamp', whenNull: 'send_null', onlyIfEmpty: false },
      ],
      matchField: 'email',
      destination: { connectionId: sinkId, connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} },
    },
  ];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bf-engine-'));
    warehouse = path.join(dir, 'wh.duckdb');
    logFile = path.join(dir, 'sink.log');
    await sql([
      `CREATE TABLE people AS SELECT i AS id, 'user' || i || '@example.com' AS email, round(i * 1.5, 2) AS score,
         i % 3 = 0 AS active, TIMESTAMP '2026-01-01 00:00:00' + to_seconds(i) AS updated_at
       FROM range(1, ${ROWS + 1}) t(i)`,
    ]);
    const db = testDb();
    const { workspace } = await createWorkspace(db, ['admin']);
    workspaceId = workspace.id;
    sourceId = (await createConnection(db, workspaceId, { kind: 'source', connector: 'duckdb', config: { path: warehouse } })).id;
    sinkId = (await createConnection(db, workspaceId, { kind: 'destination', connector: 'noop-sink', config: { logFile } })).id;
    worker = await startWorker({ db, workerId: 'engine-test' });
    client = await temporalClient();
  });

  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    closeDuckDbInstances();
    await rm(dir, { recursive: true, force: true });
  });

  it('syncs everything once, then nothing, then exactly what changed (mirror)', async () => {
    const db = testDb();
    const { pipeline } = await createPipelineWithPlan(db, workspaceId, () => path1());

    // 1. Initial sync.
    const first = await run(pipeline.id);
    expect(first.result.status).toBe('succeeded');
    let t = await targetOf(first.runId);
    expect(t).toMatchObject({ queried: ROWS, invalid: 0, added: ROWS, changed: 0, removed: 0, accepted: ROWS, rejected: 0, status: 'succeeded' });
    let log = await readLog();
    expect(log).toHaveLength(ROWS);
    expect(new Set(log.map((l) => l.key)).size).toBe(ROWS);
    expect(log.every((l) => l.op === 'upsert')).toBe(true);
    const state = await testPool().query('SELECT count(*)::int AS n FROM sync_state WHERE sync_target_id = $1', [t.syncTargetId]);
    expect(state.rows[0].n).toBe(ROWS);
    // Several executions: continue-as-new kept each one bounded.
    expect(first.result.executions).toBeGreaterThan(1);
    // Staged payloads are purged when the run ends.
    const staged = await testPool().query('SELECT to_regclass($1) AS t', [stagingTable(t.id)]);
    expect(staged.rows[0].t).toBeNull();

    // 2. No change: nothing is sent.
    const second = await run(pipeline.id);
    t = await targetOf(second.runId);
    expect(t).toMatchObject({ queried: ROWS, unchanged: ROWS, added: 0, changed: 0, removed: 0, accepted: 0, status: 'succeeded' });
    expect(await readLog()).toHaveLength(ROWS);

    // 3. 1% changes: 20 updates, 3 inserts, 5 deletes.
    await sql([
      `UPDATE people SET score = score + 1000 WHERE id % 100 = 7`,
      `INSERT INTO people SELECT i, 'new' || i || '@example.com', 1.0, true, TIMESTAMP '2026-02-01 00:00:00' FROM range(${ROWS + 1}, ${ROWS + 4}) t(i)`,
      `DELETE FROM people WHERE id IN (1, 2, 3, 4, 5)`,
    ]);
    const third = await run(pipeline.id);
    t = await targetOf(third.runId);
    expect(t).toMatchObject({ added: 3, changed: 20, removed: 5, accepted: 28, rejected: 0, status: 'succeeded' });
    log = (await readLog()).slice(ROWS);
    const sent = (op: string) => log.filter((l) => l.op === op).map((l) => l.key).sort();
    expect(sent('delete')).toEqual(['1', '2', '3', '4', '5']);
    expect(sent('upsert')).toEqual(
      [...Array.from({ length: 20 }, (_, i) => String(i * 100 + 7)), String(ROWS + 1), String(ROWS + 2), String(ROWS + 3)].sort(),
    );
  });

  it('holds mirror deletes when the extract is empty, and skips them on request', async () => {
    const db = testDb();
    const { pipeline } = await createPipelineWithPlan(db, workspaceId, () => path1('id <= 50'));
    const first = await run(pipeline.id);
    expect(first.result.status).toBe('succeeded');
    const synced = (await targetOf(first.runId)).accepted;
    expect(synced).toBeGreaterThan(40);
    const before = (await readLog()).length;

    await publishPlan(db, pipeline.id, path1('false'));
    const runId = await startRun(client, worker.taskQueue, { pipelineId: pipeline.id, trigger: 'manual', settings: { heartbeatTimeoutMs: 10_000 } });
    const handle = client.workflow.getHandle(runId);
    // Wait until the run asks for confirmation.
    for (let i = 0; i < 100; i++) {
      const r = await db.run.findUnique({ where: { id: runId } });
      if (r?.status === 'needs_confirmation') break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const waiting = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(waiting.status).toBe('needs_confirmation');
    expect(waiting.confirmationReason).toMatch(/no valid rows/);
    const progress = await handle.query(progressQuery);
    expect(progress.targets[0]).toMatchObject({ phase: 'confirm', held: synced });

    await handle.signal(skipDeletesSignal);
    const result = await handle.result();
    expect(result.status).toBe('partial');
    const t = await targetOf(runId);
    expect(t).toMatchObject({ removed: synced, accepted: 0, skipped: synced });
    expect((await readLog()).length).toBe(before); // nothing deleted
    const state = await testPool().query('SELECT count(*)::int AS n FROM sync_state WHERE sync_target_id = $1', [t.syncTargetId]);
    expect(state.rows[0].n).toBe(synced);
  });

  it('reports rows sharing a key or a match value as invalid and sends none of them', async () => {
    const db = testDb();
    await sql([
      `CREATE OR REPLACE TABLE dupes AS SELECT * FROM (VALUES
         (1, 'a@x.co'), (2, 'b@x.co'), (2, 'c@x.co'), (3, 'd@x.co'), (4, 'd@x.co'), (5, NULL), (NULL, 'e@x.co'), (6, 'f@x.co')
       ) t(id, email)`,
    ]);
    const { pipeline } = await createPipelineWithPlan(db, workspaceId, () => [
      {
        ...path1()[0]!,
        sql: duckdbSql('dupes', 'id', ['email']),
        fields: [{ name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false }],
        destination: { connectionId: sinkId, connector: 'noop-sink', object: 'records', mode: 'upsert', options: {} },
      },
    ]);
    const before = (await readLog()).length;
    const { runId, result } = await run(pipeline.id);
    const runRow = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(runRow.error).toBeNull();
    expect(result.status).toBe('succeeded');
    const t = await targetOf(runId);
    expect(t).toMatchObject({ queried: 8, invalid: 6, added: 2, accepted: 2 });
    expect((await readLog()).slice(before).map((l) => l.key).sort()).toEqual(['1', '6']);
    const errors = await testPool().query<{ record_key: string; reason: string }>(
      `SELECT record_key, reason FROM run_row_errors WHERE run_id = $1 AND kind = 'invalid' ORDER BY record_key`,
      [runId],
    );
    expect(errors.rows.map((e) => e.record_key)).toEqual(['(null)', '2', '2', '3', '4', '5']);
    expect(errors.rows.find((e) => e.record_key === '5')?.reason).toMatch(/match key value is NULL/);

    // The next run diffs by the streaming merge: the same rows are invalid, the
    // two synced ones unchanged; then key 1 takes key 6's email and both are
    // invalid, so neither is sent nor removed.
    const again = await run(pipeline.id);
    expect(await targetOf(again.runId)).toMatchObject({ queried: 8, invalid: 6, unchanged: 2, added: 0, changed: 0, status: 'succeeded' });
    await sql([`UPDATE dupes SET email = 'f@x.co' WHERE id = 1`]);
    const third = await run(pipeline.id);
    expect(await targetOf(third.runId)).toMatchObject({ queried: 8, invalid: 8, unchanged: 0, added: 0, changed: 0, status: 'succeeded' });
    const thirdErrors = await testPool().query<{ record_key: string; reason: string }>(
      `SELECT record_key, reason FROM run_row_errors WHERE run_id = $1 AND kind = 'invalid' ORDER BY record_key`,
      [third.runId],
    );
    expect(thirdErrors.rows.map((e) => e.record_key)).toEqual(['(null)', '1', '2', '2', '3', '4', '5', '6']);
    expect(thirdErrors.rows.find((e) => e.record_key === '6')?.reason).toMatch(/share this match key value/);
    expect((await readLog()).slice(before).map((l) => l.key).sort()).toEqual(['1', '6']);
  });

  it('fails a run fast and clearly when the warehouse refuses the SQL (no blind retries)', async () => {
    const db = testDb();
    const { pipeline } = await createPipelineWithPlan(db, workspaceId, () => [
      { ...path1()[0]!, sql: duckdbSql('no_such_table', 'id', ['email', 'score', 'active', 'updated_at']) },
    ]);
    const started = Date.now();
    const { runId, result } = await run(pipeline.id);
    expect(result.status).toBe('failed');
    expect(Date.now() - started).toBeLessThan(30_000);
    const runRow = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(runRow.error).toMatch(/no_such_table/);
    const t = await targetOf(runId);
    expect(t).toMatchObject({ status: 'failed', queried: 0 });
  });

  it('fails the run and sends nothing when the warehouse query fails part-way through its rows', async () => {
    // A value that does not convert at row 290,000: DuckDB's client ends the
    // stream there without the error (connectors/sources/duckdb withEndMarker).
    // Taken for the whole result, a first sync would send the rows before it and
    // call itself done; an incremental mirror run would delete the rows after it.
    await sql([
      `CREATE OR REPLACE TABLE people_text AS SELECT i AS id, 'text' || i || '@example.com' AS email,
         CASE WHEN i = 290000 THEN 'abc' ELSE (i * 1.5)::VARCHAR END AS score_text
       FROM range(1, 300001) t(i)`,
    ]);
    const db = testDb();
    const base = path1()[0]!;
    const { pipeline } = await createPipelineWithPlan(db, workspaceId, () => [
      {
        ...base,
        sql: `SELECT CAST(id AS VARCHAR) AS "${RECORD_KEY_COLUMN}", email, CAST(score_text AS DOUBLE) AS score, true AS active, TIMESTAMP '2026-01-01' AS updated_at FROM people_text`,
      },
    ]);
    const sentBefore = (await readLog()).length;
    // Large batches, so that a run taking the cut-short rows for all of them would finish quickly, and fail this test.
    const { runId, result } = await run(pipeline.id, 10_000);
    expect(result.status).toBe('failed');
    const t = await targetOf(runId);
    expect(t.status).toBe('failed');
    // Usually DuckDB has streamed rows before the failure, and only the end marker shows it;
    // should the failure come before the first rows, DuckDB reports it itself.
    expect(t.error).toMatch(/ended part-way|Conversion Error/);
    expect(t.accepted).toBe(0);
    expect((await readLog()).length).toBe(sentBefore);
    const state = await testPool().query('SELECT count(*)::int AS n FROM sync_state WHERE sync_target_id = $1', [t.syncTargetId]);
    expect(state.rows[0].n).toBe(0);
  }, 60_000);

  it('keeps syncing the other destinations when one of them fails (fan-out)', async () => {
    const db = testDb();
    const u = new URL(inject('databaseUrl'));
    const broken = await createConnection(db, workspaceId, {
      kind: 'destination',
      connector: 'postgres-table',
      config: { host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: decodeURIComponent(u.username || 'postgres'), ssl: 'disable' },
      credentials: { password: decodeURIComponent(u.password) },
    });
    const healthy = path1('id <= 100')[0]!;
    const { pipeline } = await createPipelineWithPlan(db, workspaceId, () => [
      { ...healthy, id: 'dest_ok', destination: { ...healthy.destination, mode: 'upsert' } },
      { ...healthy, id: 'dest_broken', destination: { connectionId: broken.id, connector: 'postgres-table', object: 'no_such_table', mode: 'upsert', options: {} } },
    ]);
    const { runId, result } = await run(pipeline.id);
    expect(result.status).toBe('partial');
    const targets = await db.runTarget.findMany({ where: { runId }, orderBy: { nodeId: 'asc' } });
    expect(targets.map((t) => [t.nodeId, t.status])).toEqual([
      ['dest_broken', 'failed'],
      ['dest_ok', 'succeeded'],
    ]);
    expect(targets[0]!.error).toMatch(/no_such_table/);
    expect(targets[1]).toMatchObject({ accepted: targets[1]!.added, rejected: 0 });
    expect(targets[1]!.added).toBeGreaterThan(0);
  });

  it('grows the next execution\'s activities after a fast one, not the activities per execution (budget.ts)', async () => {
    const db = testDb();
    // A sink without a log: the other tests read the shared one.
    const quiet = await createConnection(db, workspaceId, { kind: 'destination', connector: 'noop-sink', config: {} });
    // A table of its own: the other tests change \`people\`.
    await sql([`CREATE TABLE long_people AS SELECT * FROM people WHERE false`, `INSERT INTO long_people SELECT i, 'long' || i || '@example.com', i, true, TIMESTAMP '2026-01-01 00:00:00' FROM range(1, ${ROWS + 1}) t(i)`]);
    const spec = (where: string): PathSpec[] =>
      path1().map((p) => ({
        ...p,
        sql: duckdbSql('long_people', 'id', ['email', 'score', 'active', 'updated_at'], where),
        destination: { ...p.destination, connectionId: quiet.id, mode: 'upsert' },
      }));
    // 500 rows per execution in batches of 50: 10 batches in 2 activities per execution. Any
    // execution under 10 minutes counts as fast, so budgets grow whatever this machine's pace.
    const settings = { heartbeatTimeoutMs: 10_000, rowsPerExecution: 500, concurrency: 2, maxBatchSize: 50, minExecutionMs: 600_000 };
    const sync = async (where: string) => {
      const { pipeline } = await createPipelineWithPlan(db, workspaceId, () => spec(where));
      const runId = await startRun(client, worker.taskQueue, { pipelineId: pipeline.id, trigger: 'manual', settings });
      const result = await client.workflow.getHandle(runId).result();
      // Per execution: the deliver activities it scheduled (what bounds its history), and its length.
      const executions: { delivers: number; length: number }[] = [];
      const listed = await client.workflowService.listWorkflowExecutions({ namespace: 'default', query: `WorkflowId = '${runId}'` });
      for (const e of listed.executions ?? []) {
        const history = await client.workflow.getHandle(runId, e.execution!.runId!).fetchHistory();
        const delivers = (history.events ?? []).filter((ev) => ev.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverBatch').length;
        executions.push({ delivers, length: Number(e.historyLength ?? 0) });
      }
      return { result, target: await targetOf(runId), executions };
    };
    // 10 batches: one execution's budget, spent by the first (then one to finalize).
    const short = await sync('id <= 500');
    // 40 batches: 4 executions' worth at the first budget; after the first, the rest in one.
    const long = await sync('');
    expect(short.result).toMatchObject({ status: 'succeeded', executions: 2 });
    expect(long.result).toMatchObject({ status: 'succeeded', executions: 2 });
    expect(short.target).toMatchObject({ queried: 500, accepted: 500, rejected: 0, batchesTotal: 10 });
    expect(long.target).toMatchObject({ queried: ROWS, accepted: ROWS, rejected: 0, batchesTotal: 40 });
    // Each execution schedules at most the short run's 2 deliver activities: the last 30 batches in 2 of 15.
    expect(short.executions.map((e) => e.delivers).sort()).toEqual([0, 2]);
    expect(long.executions.map((e) => e.delivers).sort()).toEqual([2, 2]);
    // Event counts vary a little with how completions share workflow tasks, not with the rows.
    const longest = (r: typeof short) => Math.max(...r.executions.map((e) => e.length));
    expect(longest(long)).toBeLessThanOrEqual(longest(short) + 6);
  });
});
