/**
 * `npm run test:chaos -- --kills K --rows N --seed S [--no-ledger]`
 *
 * Kills the worker K times (SIGKILL) during an N-row sync to the HubSpot
 * sandbox's custom object that has NO unique property, so its batch/create
 * really duplicates when a create is replayed. At least half of the kills land
 * inside delivery: the sandbox applies a create and holds its response while
 * the harness kills the worker. The worker is restarted after every kill.
 *
 * Duplicates and missing records are counted from the sandbox's raw create log
 * and its records, against the source. Prints
 *   kills_in_deliver: X duplicates: D missing: M
 * and exits non-zero unless D and M are both 0.
 *
 * --no-ledger is the control run: it switches the intent ledger off (a
 * test-only worker flag) and must report D > 0, proving the check sees them.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { encryptCredentials } from '../app/_server/connections/runtime';
import { RECORD_KEY_COLUMN, ZPlan } from '../workflows/compile/plan';
import { newRunId, startRun } from '../workflows/temporal/client';
import { spawnSandbox, type SandboxProcess } from '../test/sandboxes/lib/spawn';
import { startStack, type Stack, type WorkerProcess } from './lib/stack';

type Args = { kills: number; rows: number; seed: number; ledger: boolean; verbose: boolean };

function parseArgs(argv: string[]): Args {
  const num = (name: string, fallback: number) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return fallback;
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
    return v;
  };
  return {
    kills: num('kills', 10),
    rows: num('rows', 100_000),
    seed: num('seed', Math.floor(Math.random() * 2 ** 31)),
    ledger: !argv.includes('--no-ledger'),
    verbose: argv.includes('--verbose'),
  };
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with --seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OBJECT = 'p_loyalty_members';
const TOKEN = 'pat-chaos';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function buildWarehouse(file: string, rows: number): Promise<void> {
  await rm(file, { force: true });
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  await conn.run(
    `CREATE TABLE members AS SELECT i AS id, 'm' || i AS member_key,
       (['bronze', 'silver', 'gold'])[1 + (i % 3)] AS tier FROM range(1, ${rows + 1}) t(i)`,
  );
  conn.closeSync();
  instance.closeSync();
}

async function setUpPipeline(stack: Stack, sandbox: SandboxProcess, warehouse: string): Promise<string> {
  const db = stack.db;
  const ws = await db.workspace.create({ data: { name: 'Chaos', slug: `chaos-${Date.now()}` } });
  const mk = (kind: 'source' | 'destination', connector: string, config: object, credentials: object) => {
    const id = `conn_chaos_${kind}_${Date.now()}`;
    return db.connection.create({
      data: { id, workspaceId: ws.id, name: `chaos ${kind}`, kind, connector, config, credentials: encryptCredentials(id, credentials) },
    });
  };
  const source = await mk('source', 'duckdb', { path: warehouse }, {});
  // A long client timeout: a held create must still be pending when the harness kills the worker.
  const dest = await mk('destination', 'hubspot', { baseUrl: sandbox.url, timeoutMs: 120_000 }, { type: 'private_app', accessToken: TOKEN });
  const pipeline = await db.pipeline.create({ data: { workspaceId: ws.id, name: 'chaos', draft: {} } });
  const plan = ZPlan.parse({
    version: 1,
    pipelineId: pipeline.id,
    paths: [
      {
        id: 'dest',
        nodeIds: ['query', 'dest'],
        source: { connectionId: source.id, dialect: 'duckdb' },
        sql: `SELECT CAST(id AS VARCHAR) AS "${RECORD_KEY_COLUMN}", member_key, tier FROM members`,
        primaryKey: ['id'],
        fields: [
          { name: 'member_key', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
          { name: 'tier', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
        ],
        matchField: 'member_key',
        destination: { connectionId: dest.id, connector: 'hubspot', object: OBJECT, mode: 'upsert', options: {} },
      },
    ],
  });
  await db.pipelineVersion.create({ data: { pipelineId: pipeline.id, number: 1, graph: {}, plan: JSON.parse(JSON.stringify(plan)) as object, planHash: 'chaos' } });
  return pipeline.id;
}

type Created = { object: string; record: Record<string, unknown> };
type SandboxRecord = { properties?: Record<string, unknown> };

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const say = (m: string) => console.log(m);
  const vlog = (m: string) => {
    if (args.verbose) console.log(`  ${m}`);
  };
  say(`chaos: kills=${args.kills} rows=${args.rows} seed=${args.seed} ledger=${args.ledger ? 'on' : 'OFF (control)'}`);
  const random = prng(args.seed);
  const stack = await startStack('chaos', vlog);
  let sandbox: SandboxProcess | null = null;
  let worker: WorkerProcess | null = null;
  try {
    sandbox = await spawnSandbox('hubspot', {
      env: {
        HUBSPOT_SANDBOX_PRIVATE_TOKEN: TOKEN,
        HUBSPOT_SANDBOX_RATE_LIMIT: '1000000',
        HUBSPOT_SANDBOX_SEARCH_PER_SECOND: '100000',
      },
    });
    const warehouse = path.join(stack.workDir, 'chaos.duckdb');
    await mkdir(stack.workDir, { recursive: true });
    await buildWarehouse(warehouse, args.rows);
    const pipelineId = await setUpPipeline(stack, sandbox, warehouse);

    const taskQueue = `chaos-${process.pid}`;
    // Every bucket summary a worker settles is checked against sync_state, kills or not.
    const extraEnv: Record<string, string> = { BACKFLOW_VERIFY_SUMMARIES: '1', ...(args.ledger ? {} : { BACKFLOW_TEST_DISABLE_INTENT_LEDGER: '1' }) };
    const restart = async () => {
      worker = stack.spawnWorker({ taskQueue, extraEnv });
      await worker.ready;
    };
    await restart();

    const runId = newRunId();
    await startRun(stack.temporal, taskQueue, { pipelineId, trigger: 'api', settings: { heartbeatTimeoutMs: 3_000, concurrency: 4 } }, runId);
    const handle = stack.temporal.workflow.getHandle(runId);
    let finished = false;
    const result = handle.result().finally(() => {
      finished = true;
    });
    result.catch(() => {});

    let killsInDeliver = 0;
    let kills = 0;
    for (let k = 0; k < args.kills && !finished; k++) {
      const inDeliver = k % 2 === 0; // at least half of the kills
      if (inDeliver) {
        // The next create is applied, then its response is held: kill while it hangs.
        await sandbox.fault({ kind: 'hold_after_apply', method: 'POST', path: '/batch/create', count: 1 });
        let held = false;
        for (let i = 0; i < 600 && !finished; i++) {
          if ((await sandbox.held()) > 0) {
            held = true;
            break;
          }
          await sleep(50);
        }
        if (!held) {
          await sandbox.clearFaults();
          vlog(`kill ${k + 1}: no create was in flight (run finished)`);
          break;
        }
        await worker!.kill('SIGKILL');
        killsInDeliver++;
        await sandbox.release();
      } else {
        await sleep(200 + Math.floor(random() * 2_000));
        if (finished) break;
        await worker!.kill('SIGKILL');
      }
      kills++;
      vlog(`kill ${kills} (${inDeliver ? 'inside a create' : 'at a random moment'}), restarting the worker`);
      await sleep(Math.floor(random() * 500));
      await restart();
    }

    const outcome = await Promise.race([result, sleep(15 * 60_000).then(() => null)]);
    if (!outcome) throw new Error('the run did not finish within 15 minutes after the last kill');
    const run = await stack.db.run.findUniqueOrThrow({ where: { id: runId }, include: { targets: true } });
    vlog(`run ${run.status}: ${JSON.stringify(run.targets.map((t) => ({ added: t.added, accepted: t.accepted, rejected: t.rejected, exhausted: t.exhausted })))}`);

    // Count from the sandbox's raw create log and records, against the source keys.
    const creates = (await sandbox.creates()) as Created[];
    const perKey = new Map<string, number>();
    for (const c of creates) {
      if (!c.object.includes('loyalty')) continue;
      const key = String(c.record.member_key ?? '');
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    let duplicates = 0;
    for (const n of perKey.values()) if (n > 1) duplicates += n - 1;
    const records = await sandbox.records<SandboxRecord[]>({ object: OBJECT });
    const present = new Set(records.map((r) => String(r.properties?.member_key ?? '')));
    let missing = 0;
    for (let i = 1; i <= args.rows; i++) if (!present.has(`m${i}`)) missing++;

    say(`kills: ${kills} run: ${run.status} creates: ${creates.length}`);
    console.log(`kills_in_deliver: ${killsInDeliver} duplicates: ${duplicates} missing: ${missing}`);
    process.exitCode = duplicates === 0 && missing === 0 && run.status === 'succeeded' ? 0 : 1;
  } finally {
    const w = worker as WorkerProcess | null;
    vlog('cleaning up');
    await w?.kill('SIGKILL').catch(() => {});
    await sandbox?.stop();
    await stack.stop();
    vlog('cleaned up');
  }
}

main()
  // Explicit exit: a killed worker's half-open sockets must not keep the harness alive.
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((err: unknown) => {
    console.error(`chaos failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  });
