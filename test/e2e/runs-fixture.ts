/**
 * TEST INFRASTRUCTURE: runs worth looking at in the Runs UI, made through the
 * real run router, worker and Temporal server. Every run is awaited except the
 * last mirror one, which is left waiting for confirmation:
 *   - "Customers → Test sink": two destinations (no-op test sink), run twice:
 *     rows with NULL emails are invalid; the second run finds nothing changed;
 *   - "Newsletter → Webhook": upsert to the slow test receiver
 *     (runs-receiver.ts), which rejects some rows and keeps answering "retry"
 *     for others: a partial run with rejected and exhausted rows;
 *   - "Broken destination": an object the sink does not have: a failed run;
 *   - "Audience mirror": mirror mode; version 2 keeps a tenth of the rows, so
 *     its run holds the deletions and waits for confirmation.
 * Used by runs.test.ts (vitest) and runs-seed.ts (a database to click through).
 */
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Db } from '../../app/_server/db';
import type { createCaller } from '../../app/_server/root';
import { createConnection, createPipelineWithPlan, duckdbSql, publishPlan, type PathSpec } from '../helpers/pipelines';

type Caller = ReturnType<typeof createCaller>;

export type RunsFixture = {
  runs: { succeeded: string; unchanged: string; partial: string; failed: string; mirrorFirst: string; needsConfirmation: string };
  pipelines: { customers: string; newsletter: string; broken: string; mirror: string };
};

const FINISHED = ['succeeded', 'partial', 'failed', 'cancelled'];

/** 3,000 people; every 40th has no email, a third are on the "pro" plan. */
export async function createPeopleWarehouse(file: string): Promise<void> {
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
}

export async function createRunsFixture(opts: {
  db: Db;
  workspaceId: string;
  /** Acts for an operator or above; its services decide the Temporal task queue. */
  caller: Caller;
  dir: string;
  receiverUrl: string;
  log?: (line: string) => void;
}): Promise<RunsFixture> {
  const { db, workspaceId: ws, caller } = opts;
  const log = opts.log ?? (() => {});
  const file = path.join(opts.dir, `people-${Date.now()}.duckdb`);
  await createPeopleWarehouse(file);

  const tag = String(Date.now() % 100000);
  const src = await createConnection(db, ws, { name: `Warehouse ${tag}`, kind: 'source', connector: 'duckdb', config: { path: file } });
  const hook = await createConnection(db, ws, { name: `Webhook ${tag}`, kind: 'destination', connector: 'webhook', config: { url: opts.receiverUrl } });
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

  async function named(name: string, build: () => PathSpec[]) {
    const created = await createPipelineWithPlan(db, ws, build);
    await db.pipeline.update({ where: { id: created.pipeline.id }, data: { name: `${name} ${tag}` } });
    return created.pipeline.id;
  }
  async function run(pipelineId: string, until: (status: string) => boolean): Promise<string> {
    const { runId } = await caller.run.start({ pipelineId });
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      const r = await db.run.findUniqueOrThrow({ where: { id: runId } });
      if (until(r.status)) {
        log(`${runId}: ${r.status}`);
        return runId;
      }
      await new Promise((res) => setTimeout(res, 250));
    }
    throw new Error(`run ${runId} did not get there in 240 s — fix: is a worker polling this task queue, and is the receiver up?`);
  }
  const finished = (s: string) => FINISHED.includes(s);

  const crm = await sink('crm');
  const audit = await sink('audit');
  const customers = await named('Customers → Test sink', () => [spec('crm', people(), sinkDest(crm, 'upsert')), spec('audit', people('id <= 500'), sinkDest(audit, 'upsert'))]);
  const succeeded = await run(customers, finished);
  const unchanged = await run(customers, finished);

  const newsletter = await named('Newsletter → Webhook', () => [
    spec('newsletter', people(), { connectionId: hook.id, connector: 'webhook', object: 'rows', mode: 'upsert', options: {} }),
  ]);
  const partial = await run(newsletter, finished);

  const broken = await named('Broken destination', () => [spec('crm', people(), sinkDest(crm, 'upsert', 'no_such_object'))]);
  const failed = await run(broken, finished);

  const audienceSink = await sink('audience');
  const mirror = await named('Audience mirror', () => [spec('audience', people("plan = 'pro'"), sinkDest(audienceSink, 'mirror'))]);
  const mirrorFirst = await run(mirror, finished);
  await publishPlan(db, mirror, [spec('audience', people("plan = 'pro' AND id <= 300"), sinkDest(audienceSink, 'mirror'))]);
  const needsConfirmation = await run(mirror, (s) => s === 'needs_confirmation');

  return {
    runs: { succeeded, unchanged, partial, failed, mirrorFirst, needsConfirmation },
    pipelines: { customers, newsletter, broken, mirror },
  };
}
