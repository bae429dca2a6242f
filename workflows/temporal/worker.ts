/**
 * The Backflow worker: runs workflows and activities from the task queue.
 *
 *   npm run worker   (builds it, then runs it as worker-command.ts describes)
 *
 * Shuts down gracefully on SIGINT/SIGTERM (the SDK's Runtime handles the signals:
 * in-flight activities finish or are cancelled, then the process exits).
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WORKFLOWS_PATH = path.join(here, 'workflows.ts');
/** A built worker's workflow bundle, beside worker.mjs (worker-command.ts). */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
}

/** Writes the workflow bundle to a file, so workers start without webpack (faster, far less memory). */
export async function writeWorkflowBundle(file: string): Promise<void> {
  const { writeFile, mkdir } = await import('node:fs/promises');
  const bundle = await bundleWorkflows();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bundle.code);
}

const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

export type WorkerOptions = {
  address: string;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Reuse a pre-built bundle: in memory (tests bundle once), or a file written by writeWorkflowBundle. */
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
};

export async function createWorker(opts: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: opts.workflowBundle ?? (await bundleWorkflows()),
    activities: createActivities(opts.deps),
    // A heartbeat reaches the server at least every 2 s (the default throttle
    // is 80% of the heartbeat timeout, 48 s at 60 s), and a cancel reaches an
    // activity only in a heartbeat's reply: a cancelled run's deliveries stop
    // within seconds, not a minute later.
    maxHeartbeatThrottleInterval: '2 seconds',
  });
  return { worker, connection };
}

async function main(): Promise<void> {
  const { env } = await import('../../app/_server/env');
  const { db } = await import('../../app/_server/db');
  const { pgPool } = await import('../../app/_server/pg');
  const { createLimiterFactory } = await import('../engine/limiter');
  const e = env();
  // A built worker (worker-command.ts) finds its workflow bundle beside itself.
  const sibling = path.join(here, WORKFLOW_BUNDLE_FILE);
  const bundlePath = e.BACKFLOW_WORKFLOW_BUNDLE ?? (existsSync(sibling) ? sibling : undefined);
  const workerId = `${hostname()}:${process.pid}`;
  const pool = pgPool();
  const { upgradeStaging } = await import('../engine/staging');
  const upgraded = await upgradeStaging(pool);
  if (upgraded) console.log(`upgraded ${upgraded} staging table(s) of runs in flight`);
  const { worker, connection } = await createWorker({
    address: e.temporalAddress,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    deps: {
      db: db(),
      workerId,
      pool,
      limiterFactory: createLimiterFactory(pool),
      verifySummaries: e.BACKFLOW_VERIFY_SUMMARIES === '1',
      ...(e.BACKFLOW_TEST_DISABLE_INTENT_LEDGER === '1' ? { testing: { disableIntentLedger: true } } : {}),
    },
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
  });
  if (e.BACKFLOW_TEST_DISABLE_INTENT_LEDGER === '1') console.warn('TEST MODE: the intent ledger is OFF; duplicates are expected');
  console.log(`worker ${workerId} polling "${e.TEMPORAL_TASK_QUEUE}" on ${e.temporalAddress}`);
  try {
    await worker.run();
  } finally {
    await connection.close();
    await db().$disconnect();
    await pool.end();
    console.log('worker stopped');
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
