/**
 * The `run` router through createCaller, with a real worker and Temporal dev
 * server behind it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Client } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../../../app/_server/trpc';
import { closeDuckDbInstances } from '../../../../connectors/sources/duckdb';
import { callerAs, createWorkspace, testDb, testPool } from '../../../helpers/db';
import { createConnection, createPipelineWithPlan, duckdbSql } from '../../../helpers/pipelines';
import { startWorker, temporalClient, type RunningWorker } from '../../../helpers/temporal';

let dir: string;
let worker: RunningWorker;
let client: Client;
let services: Services;

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

describe('run router', () => {
  let ws: Awaited<ReturnType<typeof createWorkspace>>;
  let other: Awaited<ReturnType<typeof createWorkspace>>;
  let pipelineId: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bf-run-router-'));
    const file = path.join(dir, 'wh.duckdb');
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run(`CREATE TABLE people AS SELECT i AS id, CASE WHEN i % 10 = 0 THEN NULL ELSE 'p' || i || '@x.co' END AS email FROM range(1, 101) t(i)`);
    conn.closeSync();
    instance.closeSync();

    const db = testDb();
    ws = await createWorkspace(db, ['admin', 'editor', 'operator', 'viewer']);
    other = await createWorkspace(db, ['admin']);
    const src = await createConnection(db, ws.workspace.id, { kind: 'source', connector: 'duckdb', config: { path: file } });
    const sink = await createConnection(db, ws.workspace.id, { kind: 'destination', connector: 'noop-sink', config: {} });
    const created = await createPipelineWithPlan(db, ws.workspace.id, () => [
      {
        id: 'dest',
        source: { connectionId: src.id, dialect: 'duckdb' },
        sql: duckdbSql('people', 'id', ['email']),
        fields: [{ name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false }],
        matchField: 'email',
        destination: { connectionId: sink.id, connector: 'noop-sink', object: 'records', mode: 'upsert', options: {} },
      },
    ]);
    pipelineId = created.pipeline.id;
    worker = await startWorker({ db, workerId: 'run-router-test' });
    client = await temporalClient();
    services = { temporal: async () => client, taskQueue: worker.taskQueue, pool: testPool };
  });

  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
    closeDuckDbInstances();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts a run as an operator, refuses a viewer, and reports it', async () => {
    const db = testDb();
    const viewer = callerAs(db, ws.members.viewer, ws.workspace.id, services);
    expect(await codeOf(viewer.run.start({ pipelineId }))).toBe('FORBIDDEN');

    const operator = callerAs(db, ws.members.operator, ws.workspace.id, services);
    const { runId, versionNumber } = await operator.run.start({ pipelineId });
    expect(versionNumber).toBe(1);
    await client.workflow.getHandle(runId).result();

    const detail = await viewer.run.get({ runId });
    expect(detail.status).toBe('succeeded');
    expect(detail.targets[0]).toMatchObject({ queried: 100, invalid: 10, added: 90, accepted: 90 });

    const listed = await viewer.run.list({ pipelineId });
    expect(listed.runs.map((r) => r.id)).toContain(runId);

    const errors = await viewer.run.rowErrors({ runId });
    expect(errors.counts).toEqual({ invalid: 10 });
    expect(errors.errors[0]?.reason).toMatch(/match key value is NULL/);

    const record = await viewer.run.record({ pipelineId, recordKey: '7' });
    expect(record.destinations[0]).toMatchObject({ status: 'synced', payload: { email: 'p7@x.co' } });
    // Row 10 has no email: never synced, and its error says why.
    const failing = await viewer.run.record({ pipelineId, recordKey: '10' });
    expect(failing.destinations[0]).toMatchObject({ status: 'failing', externalId: null });
    expect(failing.destinations[0]?.errors[0]).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('NULL') });
    const unknown = await viewer.run.record({ pipelineId, recordKey: 'no-such-key' });
    expect(unknown.destinations[0]?.status).toBe('not synced');
  });

  it('refuses runs, records and resets across workspaces', async () => {
    const db = testDb();
    const stranger = callerAs(db, other.members.admin, other.workspace.id, services);
    expect(await codeOf(stranger.run.start({ pipelineId }))).toBe('NOT_FOUND');
    expect(await codeOf(stranger.run.record({ pipelineId, recordKey: '7' }))).toBe('NOT_FOUND');
    expect(await codeOf(stranger.run.resetState({ pipelineId }))).toBe('NOT_FOUND');
    const { runs } = await callerAs(db, ws.members.viewer, ws.workspace.id, services).run.list({ pipelineId });
    expect(await codeOf(stranger.run.get({ runId: runs[0]!.id }))).toBe('NOT_FOUND');
    expect((await stranger.run.list({})).runs).toHaveLength(0);
  });

  it('resets the sync state so the next run re-sends every row (editors only)', async () => {
    const db = testDb();
    expect(await codeOf(callerAs(db, ws.members.operator, ws.workspace.id, services).run.resetState({ pipelineId }))).toBe('FORBIDDEN');
    const editor = callerAs(db, ws.members.editor, ws.workspace.id, services);
    // The runs so far left a bucket summary of the committed rows; the reset discards it with them.
    const summaries = async () => [await db.bucketSummary.count({ where: { syncTarget: { pipelineId } } }), await db.bucketDigest.count({ where: { syncTargetId: { in: (await db.syncTarget.findMany({ where: { pipelineId } })).map((t) => t.id) } } })];
    expect((await summaries())[0]).toBe(1);
    expect((await summaries())[1]).toBeGreaterThan(0);
    const reset = await editor.run.resetState({ pipelineId });
    expect(reset).toMatchObject({ targets: 1, recordsForgotten: 90 });
    expect(await summaries()).toEqual([0, 0]);
    const { runId } = await editor.run.start({ pipelineId });
    await client.workflow.getHandle(runId).result();
    const detail = await editor.run.get({ runId });
    expect(detail.targets[0]).toMatchObject({ added: 90, accepted: 90 });
  });

  it('refuses to start while the destination needs a reset, naming why', async () => {
    const db = testDb();
    await db.syncTarget.updateMany({ where: { pipelineId }, data: { needsReset: true, resetReason: 'the match key changed' } });
    const operator = callerAs(db, ws.members.operator, ws.workspace.id, services);
    await expect(operator.run.start({ pipelineId })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      message: expect.stringContaining('the match key changed'),
    });
    await callerAs(db, ws.members.editor, ws.workspace.id, services).run.resetState({ pipelineId });
    const st = await db.syncTarget.findFirstOrThrow({ where: { pipelineId } });
    expect(st.needsReset).toBe(false);
  });

  it('pauses, resumes and cancels an active run', async () => {
    const db = testDb();
    const operator = callerAs(db, ws.members.operator, ws.workspace.id, services);
    await callerAs(db, ws.members.editor, ws.workspace.id, services).run.resetState({ pipelineId });
    // Slow the sink down with tiny batches so the run is still active when signalled.
    const runId = `run_test_${Date.now()}`;
    await db.run.create({ data: { id: runId, workspaceId: ws.workspace.id, pipelineId, trigger: 'manual', status: 'queued' } });
    await client.workflow.start('syncPipelineWorkflow', {
      taskQueue: worker.taskQueue,
      workflowId: runId,
      args: [{ pipelineId, trigger: 'manual', settings: { maxBatchSize: 1, concurrency: 1, batchesPerExecution: 1000 } }],
    });
    await until(() => db.run.findUniqueOrThrow({ where: { id: runId } }), (r) => r.status === 'running');
    await operator.run.pause({ runId });
    const paused = await until(() => db.run.findUniqueOrThrow({ where: { id: runId } }), (r) => r.status === 'paused');
    expect(paused.status).toBe('paused');
    await operator.run.resume({ runId });
    await until(() => db.run.findUniqueOrThrow({ where: { id: runId } }), (r) => r.status === 'running');
    await operator.run.cancel({ runId });
    await client.workflow.getHandle(runId).result();
    const done = await db.run.findUniqueOrThrow({ where: { id: runId }, include: { targets: true } });
    expect(done.status).toBe('cancelled');
    const t = done.targets[0]!;
    // Counts balance: everything not delivered is reported as skipped.
    expect(t.added).toBe(90);
    expect(t.accepted + t.skipped).toBe(90);
    expect(t.skipped).toBeGreaterThan(0);
    expect(await codeOf(operator.run.cancel({ runId }))).toBe('BAD_REQUEST');
  });
});
