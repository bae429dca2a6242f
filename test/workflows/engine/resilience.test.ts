/**
 * The sync engine under faults, with real parts: DuckDB → worker processes on
 * the Temporal dev server → the HubSpot sandbox (out of process).
 *
 * - Faults (429 storms, 5xx, timeouts, connections dropped after applying, and
 *   per-row rejects) on the custom object with NO unique property: every valid
 *   row is created exactly once and every reject is reported with its reason.
 * - Cancelling a run stops its deliveries in flight (here, backing off from
 *   429s for a minute) within seconds; their rows are reported as skipped.
 * - Two workers share one run's batches; killing one mid-run loses nothing, and
 *   the sandbox's request timestamps never exceed the account's rate limit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId, startRun } from '../../../workflows/temporal/client';
import { spawnSandbox, type SandboxProcess } from '../../sandboxes/lib/spawn';
import type { LoggedRequest } from '../../sandboxes/lib/server';
import { createWorkspace, testDb, testPool } from '../../helpers/db';
import { createConnection, createPipelineWithPlan, duckdbSql } from '../../helpers/pipelines';
import { temporalClient, workflowBundle } from '../../helpers/temporal';
import { spawnWorkerProcess, type WorkerProc } from '../../helpers/worker-process';

const TOKEN = 'pat-resilience';
const OBJECT = 'p_loyalty_members';

let dir: string;
let client: Client;
let sandbox: SandboxProcess;
const workers: WorkerProc[] = [];

type Created = { object: string; record: Record<string, unknown> };
type SandboxRecord = { properties: Record<string, string> };

async function warehouse(file: string, rows: number, badTierEvery = 0): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  await conn.run(
    `CREATE OR REPLACE TABLE members AS SELECT i AS id, 'm' || i AS member_key,
       CASE WHEN ${badTierEvery} > 0 AND i % ${badTierEvery} = 0 THEN 'platinum' ELSE (['bronze', 'silver', 'gold'])[1 + (i % 3)] END AS tier
     FROM range(1, ${rows + 1}) t(i)`,
  );
  conn.closeSync();
  instance.closeSync();
}

async function pipelineTo(workspaceId: string, file: string, object: string, fields: string[], match: string, timeoutMs = 2_000) {
  const db = testDb();
  const src = await createConnection(db, workspaceId, { kind: 'source', connector: 'duckdb', config: { path: file } });
  const dest = await createConnection(db, workspaceId, {
    kind: 'destination',
    connector: 'hubspot',
    config: { baseUrl: sandbox.url, timeoutMs },
    credentials: { type: 'private_app', accessToken: TOKEN },
  });
  return createPipelineWithPlan(db, workspaceId, () => [
    {
      id: 'dest',
      source: { connectionId: src.id, dialect: 'duckdb' },
      sql: duckdbSql('members', 'id', fields),
      fields: fields.map((name) => ({ name, type: 'string' as const, whenNull: 'send_null' as const, onlyIfEmpty: false })),
      matchField: match,
      destination: { connectionId: dest.id, connector: 'hubspot', object, mode: 'upsert', options: {} },
    },
  ]);
}

function createsPerKey(creates: Created[], field: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of creates) {
    const k = String(c.record[field] ?? '');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Largest number of requests in any window of `windowMs` (sliding). */
function maxInWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('sync engine resilience (worker processes, HubSpot sandbox)', () => {
  let workspaceId: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bf-resilience-'));
    sandbox = await spawnSandbox('hubspot', { env: { HUBSPOT_SANDBOX_PRIVATE_TOKEN: TOKEN, HUBSPOT_SANDBOX_SEARCH_PER_SECOND: '1000' } });
    client = await temporalClient();
    workspaceId = (await createWorkspace(testDb(), ['admin'])).workspace.id;
  });

  afterAll(async () => {
    for (const w of workers) await w.kill('SIGKILL');
    await sandbox?.stop();
    await client?.connection.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers every valid row exactly once through 429s, 5xx, timeouts and dropped connections, and reports rejects', async () => {
    const file = path.join(dir, 'faults.duckdb');
    const ROWS = 1_000;
    await warehouse(file, ROWS, 50); // every 50th row has a tier HubSpot refuses
    const { pipeline } = await pipelineTo(workspaceId, file, OBJECT, ['member_key', 'tier'], 'member_key', 1_500);
    await sandbox.reset();
    await sandbox.fault({ kind: 'status', status: 429, retryAfterSeconds: 1, path: '/batch/create', count: 3 });
    await sandbox.fault({ kind: 'status', status: 500, path: '/batch/create', count: 2 });
    await sandbox.fault({ kind: 'timeout', path: '/batch/create', count: 1, holdMs: 4_000 });
    await sandbox.fault({ kind: 'drop_after_apply', path: '/batch/create', count: 2 });

    const taskQueue = `resilience-faults-${Date.now()}`;
    const w = await spawnWorkerProcess(taskQueue);
    workers.push(w);
    await w.ready;
    const runId = await startRun(client, taskQueue, { pipelineId: pipeline.id, trigger: 'api', settings: { heartbeatTimeoutMs: 10_000, concurrency: 2 } });
    const result = await client.workflow.getHandle(runId).result();
    await w.kill('SIGTERM');

    const target = (await testDb().runTarget.findMany({ where: { runId } }))[0]!;
    const invalidTier = ROWS / 50;
    expect(result.status).toBe('partial'); // the rejects
    expect(target).toMatchObject({ added: ROWS, accepted: ROWS - invalidTier, rejected: invalidTier, exhausted: 0, skipped: 0 });

    // Exactly once: one create per valid key, none for the rejected ones.
    const perKey = createsPerKey((await sandbox.creates()) as Created[], 'member_key');
    expect([...perKey.values()].filter((n) => n > 1)).toHaveLength(0);
    expect(perKey.size).toBe(ROWS - invalidTier);
    const records = await sandbox.records<SandboxRecord[]>({ object: OBJECT });
    expect(records).toHaveLength(ROWS - invalidTier);

    // The faults really happened.
    const log = await sandbox.requests();
    expect(log.filter((r) => r.fault === 'status' && r.status === 429)).toHaveLength(3);
    expect(log.filter((r) => r.fault === 'drop_after_apply')).toHaveLength(2);

    // Every reject is reported with its reason and field.
    const errors = await testPool().query<{ record_key: string; field: string | null; reason: string }>(
      `SELECT record_key, field, reason FROM run_row_errors WHERE run_id = $1 AND kind = 'rejected' ORDER BY record_key::int`,
      [runId],
    );
    expect(errors.rows).toHaveLength(invalidTier);
    expect(errors.rows[0]).toMatchObject({ record_key: '50', field: 'tier' });
    expect(errors.rows[0]!.reason).toMatch(/platinum|option|tier/i);

    // A second run re-sends only the rejected rows (still rejected), nothing else.
    const w2 = await spawnWorkerProcess(taskQueue);
    workers.push(w2);
    await w2.ready;
    const again = await startRun(client, taskQueue, { pipelineId: pipeline.id, trigger: 'retry', settings: { heartbeatTimeoutMs: 10_000 } });
    await client.workflow.getHandle(again).result();
    await w2.kill('SIGTERM');
    const t2 = (await testDb().runTarget.findMany({ where: { runId: again } }))[0]!;
    expect(t2).toMatchObject({ added: invalidTier, changed: 0, rejected: invalidTier, accepted: 0 });
  });

  it('stops deliveries in flight when the run is cancelled during a 429 storm, and reports their rows as skipped', async () => {
    const file = path.join(dir, 'cancel.duckdb');
    const ROWS = 300; // three batch requests of 100
    await warehouse(file, ROWS);
    const { pipeline } = await pipelineTo(workspaceId, file, OBJECT, ['member_key', 'tier'], 'member_key');
    await sandbox.reset();
    // Every create is refused for a minute: the deliveries sit in their back-off.
    await sandbox.fault({ kind: 'status', status: 429, retryAfterSeconds: 60, path: '/batch/create', count: 100 });

    const taskQueue = `resilience-cancel-${Date.now()}`;
    const w = await spawnWorkerProcess(taskQueue);
    workers.push(w);
    await w.ready;
    const runId = await startRun(client, taskQueue, { pipelineId: pipeline.id, trigger: 'api', settings: { heartbeatTimeoutMs: 60_000, concurrency: 2 } });
    const refused = async () => (await sandbox.requests()).filter((r) => r.fault === 'status' && r.status === 429).length;
    for (let i = 0; i < 150 && (await refused()) === 0; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await refused()).toBeGreaterThan(0);

    const cancelledAt = Date.now();
    await client.workflow.getHandle(runId).signal('cancel');
    const result = await client.workflow.getHandle(runId).result();
    const stoppedMs = Date.now() - cancelledAt;
    await w.kill('SIGTERM');

    // Within seconds (a heartbeat, at most 2 s apart, carries the cancel), not after the minute's back-off.
    expect(stoppedMs).toBeLessThan(20_000);
    expect(result.status).toBe('cancelled');
    const target = (await testDb().runTarget.findMany({ where: { runId } }))[0]!;
    expect(target).toMatchObject({ status: 'cancelled', added: ROWS, accepted: 0, rejected: 0, exhausted: 0, skipped: ROWS });
    expect(await sandbox.creates()).toHaveLength(0);
    const skipped = await testPool().query<{ n: number }>(`SELECT count(*)::int AS n FROM run_row_errors WHERE run_id = $1 AND kind = 'skipped'`, [runId]);
    expect(skipped.rows[0]!.n).toBe(ROWS);

    // The workflow code replays every execution of the run, the cancelled one
    // with its patch marker (asked for in the signal handler) included.
    let replayed = 0;
    let marked = 0;
    for await (const exec of client.workflow.list({ query: `WorkflowId = '${runId}'` })) {
      const history = await client.workflow.getHandle(runId, exec.runId).fetchHistory();
      for (const e of history.events ?? []) {
        const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
        if (data && Buffer.from(data).toString().includes('cancel-deliveries-in-flight')) marked++;
      }
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, runId);
      replayed++;
    }
    expect(replayed).toBeGreaterThan(0);
    expect(marked).toBeGreaterThan(0);
  });

  it('shares a run between two worker processes, survives killing one, and keeps the account rate limit', async () => {
    const file = path.join(dir, 'two-workers.duckdb');
    const ROWS = 14_000; // 140 batch requests at 9/s: longer than HubSpot's 10 s window
    await warehouse(file, ROWS);
    const { pipeline } = await pipelineTo(workspaceId, file, OBJECT, ['member_key', 'tier'], 'member_key', 10_000);
    await sandbox.reset();

    const taskQueue = `resilience-two-${Date.now()}`;
    const a = await spawnWorkerProcess(taskQueue);
    const b = await spawnWorkerProcess(taskQueue);
    workers.push(a, b);
    await Promise.all([a.ready, b.ready]);
    const runId = newRunId();
    // Two batches per activity: enough activities for both workers to take some before one dies.
    await startRun(client, taskQueue, { pipelineId: pipeline.id, trigger: 'api', settings: { heartbeatTimeoutMs: 3_000, concurrency: 4, batchesPerActivity: 2 } }, runId);

    // Kill worker A once delivery is well under way.
    for (let i = 0; i < 300; i++) {
      const done = await testDb().runTarget.findFirst({ where: { runId } });
      if (done && done.batchesDone >= 30) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await a.kill('SIGKILL');
    const result = await client.workflow.getHandle(runId).result();
    await b.kill('SIGTERM');

    expect(result.status).toBe('succeeded');
    const target = (await testDb().runTarget.findMany({ where: { runId } }))[0]!;
    expect(target).toMatchObject({ added: ROWS, accepted: ROWS, rejected: 0, exhausted: 0 });
    const perKey = createsPerKey((await sandbox.creates()) as Created[], 'member_key');
    expect(perKey.size).toBe(ROWS);
    expect([...perKey.values()].filter((n) => n > 1)).toHaveLength(0);

    // Both processes ran activities: collect worker identities across every
    // execution of the continue-as-new chain.
    const identities = new Set<string>();
    for await (const exec of client.workflow.list({ query: `WorkflowId = '${runId}'` })) {
      const history = await client.workflow.getHandle(runId, exec.runId).fetchHistory();
      for (const e of history.events ?? []) {
        const id = e.activityTaskStartedEventAttributes?.identity;
        if (id) identities.add(id.split('@')[0]!);
      }
    }
    expect(identities).toContain(String(a.child.pid));
    expect(identities).toContain(String(b.child.pid));

    // The account limit: HubSpot allows 100 requests per rolling 10 s.
    const log: LoggedRequest[] = await sandbox.requests();
    const api = log.filter((r) => !r.path.startsWith('/__sandbox'));
    expect(api.filter((r) => r.status === 429)).toHaveLength(0);
    expect(maxInWindow(api.map((r) => r.at), 10_000)).toBeLessThanOrEqual(100);
    expect(maxInWindow(api.map((r) => r.at), 1_000)).toBeLessThanOrEqual(18);
  });
});
