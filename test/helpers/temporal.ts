import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import type { ActivityDeps } from '../../workflows/temporal/activities';
import { bundleWorkflows, createWorker } from '../../workflows/temporal/worker';
import { createLimiterFactory } from '../../workflows/engine/limiter';
import { testPool } from './db';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Workflow code bundled once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflows();
  return bundle;
}

export async function temporalClient(): Promise<Client> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return new Client({ connection, namespace: 'default' });
}

export type RunningWorker = { worker: Worker; taskQueue: string; stop: () => Promise<void> };

/** A real worker on its own task queue, running until stop(). */
export async function startWorker(deps: ActivityDeps, taskQueue = `test-${randomUUID()}`): Promise<RunningWorker> {
  const pool = deps.pool ?? testPool();
  const { worker, connection } = await createWorker({
    address: inject('temporalAddress'),
    namespace: 'default',
    taskQueue,
    deps: { limiterFactory: createLimiterFactory(pool), verifySummaries: true, ...deps, pool },
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  return {
    worker,
    taskQueue,
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

// Keep test output readable: the SDK logs every worker state change at INFO.
import { DefaultLogger, Runtime } from '@temporalio/worker';
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* already installed in this process */
}
