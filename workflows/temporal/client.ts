/**
 * Temporal client helpers shared by the app, scripts and tests. Callers own the
 * connection: open one per process (see app/_server/temporal.ts).
 */
import { Client, Connection } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { healthCheckWorkflow, SyncInput, syncPipelineWorkflow } from './workflows';

export type TemporalTarget = { address: string; namespace: string; taskQueue: string };

export async function connectClient(target: TemporalTarget, connectTimeoutMs = 5_000): Promise<Client> {
  const connection = await Connection.connect({ address: target.address, connectTimeout: connectTimeoutMs });
  return new Client({ connection, namespace: target.namespace });
}

/** Runs the health-check workflow and waits for its result. */
export async function runHealthCheck(client: Client, taskQueue: string, timeoutMs = 20_000) {
  const handle = await client.workflow.start<typeof healthCheckWorkflow>('healthCheckWorkflow', {
    taskQueue,
    workflowId: `health-${randomUUID()}`,
    workflowExecutionTimeout: timeoutMs,
  });
  return handle.result();
}

/** Number of workers that polled the task queue recently. */
export async function countPollers(client: Client, namespace: string, taskQueue: string): Promise<number> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: 1 /* TASK_QUEUE_KIND_NORMAL */ },
    taskQueueType: 1 /* TASK_QUEUE_TYPE_WORKFLOW */,
  });
  return res.pollers?.length ?? 0;
}

/** A new run id: also the Temporal workflow id. */
export function newRunId(): string {
  return `run_${randomUUID()}`;
}

/** Starts a pipeline run; returns its run id. */
export async function startRun(client: Client, taskQueue: string, input: SyncInput, runId = newRunId()): Promise<string> {
  await client.workflow.start<typeof syncPipelineWorkflow>('syncPipelineWorkflow', {
    taskQueue,
    workflowId: runId,
    args: [input],
  });
  return runId;
}
