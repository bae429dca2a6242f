/** Scheduled runs through Temporal Schedules, via createCaller with a real worker. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../../../app/_server/trpc';
import { closeDuckDbInstances } from '../../../../connectors/sources/duckdb';
import { callerAs, createWorkspace, testDb, testPool } from '../../../helpers/db';
import { createConnection, createPipelineWithPlan, duckdbSql, publishPlan, type PathSpec } from '../../../helpers/pipelines';
import { startWorker, temporalClient, type RunningWorker } from '../../../helpers/temporal';

describe('schedule router', () => {
  let dir: string;
  let worker: RunningWorker;
  let client: Client;
  let services: Services;
  let ws: Awaited<ReturnType<typeof createWorkspace>>;
  let pipelineId: string;
  let paths: () => PathSpec[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bf-schedule-'));
    const file = path.join(dir, 'wh.duckdb');
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run(`CREATE TABLE people AS SELECT i AS id, 'p' || i || '@x.co' AS email FROM range(1, 21) t(i)`);
    conn.closeSync();
    instance.closeSync();
    const db = testDb();
    ws = await createWorkspace(db, ['admin', 'operator', 'viewer']);
    const src = await createConnection(db, ws.workspace.id, { kind: 'source', connector: 'duckdb', config: { path: file } });
    const sink = await createConnection(db, ws.workspace.id, { kind: 'destination', connector: 'noop-sink', config: {} });
    paths = () => [
      {
        id: 'dest',
        source: { connectionId: src.id, dialect: 'duckdb' },
        sql: duckdbSql('people', 'id', ['email']),
        fields: [{ name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false }],
        matchField: 'email',
        destination: { connectionId: sink.id, connector: 'noop-sink', object: 'records', mode: 'upsert', options: {} },
      },
    ];
    pipelineId = (await createPipelineWithPlan(db, ws.workspace.id, paths)).pipeline.id;
    worker = await startWorker({ db, workerId: 'schedule-test' });
    client = await temporalClient();
    services = { temporal: async () => client, taskQueue: worker.taskQueue, pool: testPool };
  });

  afterAll(async () => {
    await callerAs(testDb(), ws.members.admin, ws.workspace.id, services).schedule.remove({ pipelineId }).catch(() => {});
    await worker?.stop();
    await client?.connection.close();
    closeDuckDbInstances();
    await rm(dir, { recursive: true, force: true });
  });

  it('schedules hourly runs, lists the next ones, and refuses viewers and bad cron', async () => {
    const db = testDb();
    const viewer = callerAs(db, ws.members.viewer, ws.workspace.id, services);
    await expect(viewer.schedule.set({ pipelineId, cron: '0 * * * *' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const admin = callerAs(db, ws.members.admin, ws.workspace.id, services);
    await expect(admin.schedule.set({ pipelineId, cron: 'every hour' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    await admin.schedule.set({ pipelineId, cron: '0 * * * *' });
    const s = await viewer.schedule.get({ pipelineId });
    expect(s).toMatchObject({ cron: '0 * * * *', active: true });
    expect(s.nextRuns.length).toBeGreaterThan(0);
    for (const t of s.nextRuns) expect(new Date(t).getUTCMinutes()).toBe(0);
  });

  it('a scheduled run pins the latest published version and is recorded with trigger "schedule"', async () => {
    const db = testDb();
    const v2 = await publishPlan(db, pipelineId, paths());
    await callerAs(db, ws.members.operator, ws.workspace.id, services).schedule.triggerNow({ pipelineId });
    let run = null;
    for (let i = 0; i < 150 && !(run && ['succeeded', 'failed', 'partial'].includes(run.status)); i++) {
      run = await db.run.findFirst({ where: { pipelineId, trigger: 'schedule' }, include: { targets: true } });
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(run).toMatchObject({ status: 'succeeded', versionId: v2.id });
    expect(run!.id).toMatch(/^run_sched_/);
    expect(run!.targets[0]).toMatchObject({ added: 20, accepted: 20 });
  });

  it('removes the schedule', async () => {
    const db = testDb();
    const admin = callerAs(db, ws.members.admin, ws.workspace.id, services);
    await admin.schedule.remove({ pipelineId });
    expect(await admin.schedule.get({ pipelineId })).toMatchObject({ cron: null, active: false });
    await expect(client.schedule.getHandle(`pipeline-${pipelineId}`).describe()).rejects.toThrow();
  });
});
