/**
 * The Runs UI and the Overview in a real browser, on a built app: run history
 * with filters, a failed, a partial and a held run with their controls by
 * role, row errors, record lookup and the Overview's numbers. The runs are
 * real (runs-fixture.ts: worker, Temporal, DuckDB, the no-op test sink and a
 * slow test webhook receiver).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDuckDbInstances } from '../../connectors/sources/duckdb';
import { freePort } from '../../scripts/lib/ports';
import { callerAs, createWorkspace, testDb, testPool } from '../helpers/db';
import { startWorker, temporalClient, type RunningWorker } from '../helpers/temporal';
import { launchBrowser, startApp, type AppServer } from './app-server';
import { createRunsFixture } from './runs-fixture';
import { startReceiver } from './runs-receiver';
import { RUNS_UI_CHECKS, type UiContext } from './runs-ui-checks';

describe('runs UI in the browser', () => {
  let dir: string;
  let receiver: Server;
  let worker: RunningWorker;
  let client: Client;
  let app: AppServer;
  let browser: Browser;
  let ctx: UiContext;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bf-e2e-runs-'));
    const port = await freePort();
    receiver = await startReceiver(port, 200);
    const db = testDb();
    const ws = await createWorkspace(db, ['admin', 'operator', 'viewer']);
    worker = await startWorker({ db, workerId: 'e2e-runs-worker' }, `e2e-runs-${Date.now()}`);
    client = await temporalClient();
    const caller = callerAs(db, ws.members.admin, ws.workspace.id, { temporal: async () => client, taskQueue: worker.taskQueue, pool: testPool });
    await createRunsFixture({ db, workspaceId: ws.workspace.id, caller, dir, receiverUrl: `http://127.0.0.1:${port}/hook` });
    app = await startApp({ TEMPORAL_TASK_QUEUE: worker.taskQueue });
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    ctx = { page, base: app.url, users: { admin: ws.members.admin, viewer: ws.members.viewer, operator: ws.members.operator } };
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await worker?.stop();
    await client?.connection.close();
    await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
    closeDuckDbInstances();
    await rm(dir, { recursive: true, force: true });
  });

  for (const check of RUNS_UI_CHECKS) {
    it(check.name, () => check.run(ctx), 60_000);
  }

  it('raised no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
