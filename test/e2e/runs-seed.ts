/**
 * TEST INFRASTRUCTURE: fills a database with runs worth looking at in the Runs
 * UI, through the real run router, worker and Temporal server:
 *   - "Customers → Test sink": upsert into the no-op test sink, run twice
 *     (invalid rows with NULL emails; the second run is mostly unchanged);
 *   - "Audience mirror": mirror mode; version 2 keeps a tenth of the rows, so
 *     its run holds the deletions and waits for confirmation;
 *   - "Broken query": a query on a missing table, so its run fails (after the
 *     worker's retries; left running);
 *   - "Newsletter → Webhook": upsert to the slow test receiver
 *     (test/e2e/runs-receiver.ts) with rejected and exhausted rows; left running.
 *
 *   DATABASE_URL=… TEMPORAL_ADDRESS=… tsx test/e2e/runs-seed.ts <dir> <receiverUrl>
 *
 * Needs a worker on the same database and Temporal (tsx workflows/temporal/worker.ts).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDb } from '../../app/_server/db';
import { env } from '../../app/_server/env';
import { createCaller } from '../../app/_server/root';
import { seed } from '../../prisma/seed';
import { createConnection, createPipelineWithPlan, duckdbSql, publishPlan, type PathSpec } from '../helpers/pipelines';

const ADMIN = { email: 'ui@test.local', password: 'ui-password-123' };

async function main() {
  const dir = path.resolve(process.argv[2] ?? '/tmp/backflow-ui');
  const receiverUrl = process.argv[3] ?? 'http://127.0.0.1:7398/hook';
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `warehouse-${Date.now()}.duckdb`);
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE people AS
    SELECT i AS id,
      CASE WHEN i % 40 = 0 THEN NULL ELSE 'person' || i || '@example.com' END AS email,
      18 + (i % 60) AS age,
      CASE i % 3 WHEN 0 THEN 'free' WHEN 1 THEN 'pro' ELSE 'team' END AS plan
    FROM range(1, 3001) t(i)`);
  conn.closeSync();
  instance.closeSync();

  const db = createDb(env().databaseUrl);
  const seeded = await seed(db, { adminEmail: ADMIN.email, adminPassword: ADMIN.password });
  const ws = seeded.workspaceId;
  const admin = await db.user.findUniqueOrThrow({ where: { email: ADMIN.email } });
  const caller = createCaller({ db, user: { id: admin.id, email: admin.email, name: null }, workspaceId: ws });

  const src = await createConnection(db, ws, { name: `Warehouse ${Date.now() % 100000}`, kind: 'source', connector: 'duckdb', config: { path: file } });
  const hook = await createConnection(db, ws, { name: `Webhook ${Date.now() % 100000}`, kind: 'destination', connector: 'webhook', config: { url: receiverUrl } });

  const fields: PathSpec['fields'] = [
    { name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
    { name: 'age', type: 'integer', whenNull: 'send_null', onlyIfEmpty: false },
    { name: 'plan', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
  ];
  const path1 = (id: string, sql: string, destination: PathSpec['destination']): PathSpec => ({
    id,
    source: { connectionId: src.id, dialect: 'duckdb' },
    sql,
    fields,
    matchField: 'email',
    destination,
  });
  const suffix = new Date().toISOString().slice(11, 19);

  async function named(name: string, build: (pipelineId: string) => PathSpec[]) {
    const created = await createPipelineWithPlan(db, ws, build);
    await db.pipeline.update({ where: { id: created.pipeline.id }, data: { name: `${name} (${suffix})` } });
    return created.pipeline.id;
  }
  async function runToEnd(pipelineId: string): Promise<string> {
    const { runId } = await caller.run.start({ pipelineId });
    for (let i = 0; i < 600; i++) {
      const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
      if (!['queued', 'running', 'paused'].includes(run.status)) {
        console.log(`${runId}: ${run.status}`);
        return runId;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`run ${runId} did not finish in 150 s — fix: is the worker running on this database and Temporal?`);
  }

  // One test sink connection per destination: at most one run may hold a destination object at a time.
  const sinks = new Map<string, string>();
  for (const name of ['crm', 'audit', 'audience', 'broken']) {
    const c = await createConnection(db, ws, { name: `Test sink ${name} ${Date.now() % 100000}`, kind: 'destination', connector: 'noop-sink', config: {} });
    sinks.set(name, c.id);
  }
  const sinkDest = (name: string, mode: 'upsert' | 'mirror') => ({ connectionId: sinks.get(name) ?? '', connector: 'noop-sink', object: 'records', mode, options: {} });
  const customers = await named('Customers → Test sink', () => [
    path1('crm', duckdbSql('people', 'id', ['email', 'age', 'plan']), sinkDest('crm', 'upsert')),
    path1('audit', duckdbSql('people', 'id', ['email', 'age', 'plan'], 'id <= 500'), sinkDest('audit', 'upsert')),
  ]);
  await runToEnd(customers);
  await runToEnd(customers);

  const mirror = await named('Audience mirror', () => [path1('audience', duckdbSql('people', 'id', ['email', 'age', 'plan'], "plan = 'pro'"), sinkDest('audience', 'mirror'))]);
  await runToEnd(mirror);
  await publishPlan(db, mirror, [path1('audience', duckdbSql('people', 'id', ['email', 'age', 'plan'], "plan = 'pro' AND id <= 300"), sinkDest('audience', 'mirror'))]);
  await runToEnd(mirror);

  const broken = await named('Broken query', () => [path1('crm', duckdbSql('no_such_table', 'id', ['email', 'age', 'plan']), sinkDest('broken', 'upsert'))]);
  // Not awaited: the worker retries the failing extract for a few minutes before the run fails.
  const brokenRun = await caller.run.start({ pipelineId: broken });
  console.log(`${brokenRun.runId}: started (fails once its retries run out)`);

  const newsletter = await named('Newsletter → Webhook', () => [
    path1('newsletter', duckdbSql('people', 'id', ['email', 'age', 'plan']), { connectionId: hook.id, connector: 'webhook', object: 'rows', mode: 'upsert', options: {} }),
  ]);
  const { runId } = await caller.run.start({ pipelineId: newsletter });
  console.log(`${runId}: started (slow receiver)`);
  await db.$disconnect();
}

await main();
process.exit(0);
