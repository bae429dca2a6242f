import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHealthCheck } from '../../../workflows/temporal/client';
import { testDb } from '../../helpers/db';
import { startWorker, temporalClient, type RunningWorker } from '../../helpers/temporal';
import type { Client } from '@temporalio/client';

describe('a trivial workflow through the real dev server and worker', () => {
  let worker: RunningWorker;
  let client: Client;
  beforeAll(async () => {
    worker = await startWorker({ db: testDb(), workerId: 'test-worker-1' });
    client = await temporalClient();
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });

  it('runs healthCheckWorkflow: server → worker → activity → PostgreSQL', async () => {
    const result = await runHealthCheck(client, worker.taskQueue);
    expect(result).toMatchObject({ workerId: 'test-worker-1', database: 'ok' });
    expect(Date.parse(result.at)).not.toBeNaN();
  });
});
