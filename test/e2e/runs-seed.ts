/**
 * TEST INFRASTRUCTURE: fills a database with runs worth looking at in the Runs
 * UI, through the real run router, worker and Temporal server. Every run is
 * awaited except the last mirror one, which is left waiting for confirmation:
 *   - "Customers → Test sink": two destinations (no-op test sink), run twice:
 *     rows with NULL emails are invalid; the second run finds nothing changed;
 *   - "Newsletter → Webhook": upsert to the slow test receiver
 *     (test/e2e/runs-receiver.ts), which rejects some rows and keeps answering
 *     "retry" for others: a partial run with rejected and exhausted rows;
 *   - "Broken destination": an object the sink does not have: a failed run;
 *   - "Audience mirror": mirror mode; version 2 keeps a tenth of the rows, so
 *     its run holds the deletions and waits for confirmation.
 * It also adds viewer@, operator@ and editor@test.local with the admin's password.
 *
 *   DATABASE_URL=… TEMPORAL_ADDRESS=… tsx test/e2e/runs-seed.ts <dir> <receiverUrl>
 *
 * Needs a worker on the same database and Temporal (tsx workflows/temporal/worker.ts)
 * and the receiver (tsx test/e2e/runs-receiver.ts 7398 300).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { hashPassword } from '../../app/_server/auth';
import { createDb } from '../../app/_server/db';
import { env } from '../../app/_server/env';
import { createCaller } from '../../app/_server/root';
import { ROLES } from '../../app/_server/roles';
import { seed } from '../../prisma/seed';
import { createConnection, createPipelineWithPlan, duckdbSql, publishPlan, type PathSpec } from '../helpers/pipelines';
import { UI_ADMIN, UI_PASSWORD, uiMember } from './runs-users';


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
  const { workspaceId: ws } = await seed(db, { adminEmail: UI_ADMIN, adminPassword: UI_PASSWORD });
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    const email = uiMember(role);
    const user = (await db.user.findUnique({ where: { email } })) ?? (await db.user.create({ data: { email, passwordHash: await hashPassword(UI_PASSWORD) } }));
    await db.membership.upsert({ where: { userId_workspaceId: { userId: user.id, workspaceId: ws } }, update: { role }, create: { userId: user.id, workspaceId: ws, role } });
  }
  const admin = await db.user.findUniqueOrThrow({ where: { email: UI_ADMIN } });
  const caller = createCaller({ db, user: { id: admin.id, email: admin.email, name: null }, workspaceId: ws });

  const tag = String(Date.now() % 100000);
  const src = await createConnection(db, ws, { name: `Warehouse ${tag}`, kind: 'source', connector: 'duckdb', config: { path: file } });
  const hook = await createConnection(db, ws, { name: `Webhook ${tag}`, kind: 'destination', connector: 'webhook', config: { url: receiverUrl } });
  // One test sink connection per destination: at most one run may hold a destination object at a time.
  const sink = async (name: string) =>
    (await createConnection(db, ws, { name: `Test sink ${name} ${tag}`, kind: 'destination', connector: 'noop-sink', config: {} })).id;
  const sinkDest = (connectionId: string, mode: 'upsert' | 'mirror', object = 'records') => ({ connectionId, connector: 'noop-sink', object, mode, options: {} });

  const fields: PathSpec['fields'] = [
    { name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
    { name: 'age', type: 'integer', whenNull: 'send_null', onlyIfEmpty: false },
    { name: 'plan', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
  ];
  const people = (where = '') => duckdbSql('people', 'id', ['email', 'age', 'plan'], where);
  const spec = (id: string, sql: string, destination: PathSpec['destination']): PathSpec => ({
    id,
    source: { connectionId: src.id, dialect: 'duckdb' },
    sql,
    fields,
    matchField: 'email',
    destination,
  });

  async function named(name: string, build: (pipelineId: string) => PathSpec[]) {
    const created = await createPipelineWithPlan(db, ws, build);
    await db.pipeline.update({ where: { id: created.pipeline.id }, data: { name: `${name} ${tag}` } });
    return created.pipeline.id;
  }
  async function run(pipelineId: string, until: (status: string) => boolean): Promise<string> {
    const { runId } = await caller.run.start({ pipelineId });
    for (let i = 0; i < 800; i++) {
      const r = await db.run.findUniqueOrThrow({ where: { id: runId } });
      if (until(r.status)) {
        console.log(`${runId}: ${r.status}`);
        return runId;
      }
      await new Promise((res) => setTimeout(res, 250));
    }
    throw new Error(`run ${runId} did not get there in 200 s — fix: is a worker running on this database and Temporal, and the receiver?`);
  }
  const finished = (s: string) => ['succeeded', 'partial', 'failed', 'cancelled'].includes(s);

  const crm = await sink('crm');
  const audit = await sink('audit');
  const customers = await named('Customers → Test sink', () => [
    spec('crm', people(), sinkDest(crm, 'upsert')),
    spec('audit', people('id <= 500'), sinkDest(audit, 'upsert')),
  ]);
  await run(customers, finished);
  await run(customers, finished);

  const newsletter = await named('Newsletter → Webhook', () => [
    spec('newsletter', people(), { connectionId: hook.id, connector: 'webhook', object: 'rows', mode: 'upsert', options: {} }),
  ]);
  await run(newsletter, finished);

  const broken = await named('Broken destination', () => [spec('crm', people(), sinkDest(crm, 'upsert', 'no_such_object'))]);
  await run(broken, finished);

  const audienceSink = await sink('audience');
  const mirror = await named('Audience mirror', () => [spec('audience', people("plan = 'pro'"), sinkDest(audienceSink, 'mirror'))]);
  await run(mirror, finished);
  await publishPlan(db, mirror, [spec('audience', people("plan = 'pro' AND id <= 300"), sinkDest(audienceSink, 'mirror'))]);
  await run(mirror, (s) => s === 'needs_confirmation');
  await db.$disconnect();
}

await main();
process.exit(0);
