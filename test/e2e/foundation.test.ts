/**
 * The foundation in a real browser: sign-in with a wrong and a right password,
 * the signed-in shell with its Temporal UI link, and /status showing every part
 * healthy with a connected worker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoWarehouse } from '../../scripts/lib/demo-warehouse';
import { createWorkspace, testDb, type TestUser } from '../helpers/db';
import { startWorker, type RunningWorker } from '../helpers/temporal';
import { launchBrowser, startApp, type AppServer } from './app-server';

describe('foundation in the browser', () => {
  let dir: string;
  let app: AppServer;
  let browser: Browser;
  let worker: RunningWorker;
  let admin: TestUser;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bf-e2e-'));
    const warehouse = path.join(dir, 'warehouse.duckdb');
    await ensureDemoWarehouse(warehouse, { customers: 500 });
    const db = testDb();
    admin = (await createWorkspace(db, ['admin'])).members.admin;
    worker = await startWorker({ db, workerId: 'e2e-worker' }, `e2e-${Date.now()}`);
    app = await startApp({ TEMPORAL_TASK_QUEUE: worker.taskQueue, WAREHOUSE_PATH: warehouse, TEMPORAL_UI_URL: 'http://localhost:8233' });
    browser = await launchBrowser();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await worker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a wrong password, then signs in and shows the shell with the Temporal UI link', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/`);
    await page.waitForURL(/\/sign-in/);

    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill('definitely-not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // (Next.js adds its own role=alert route announcer, so look inside the form.)
    await expect.poll(() => page.locator('form[aria-label="Sign in"] [role=alert]').textContent()).toMatch(/Wrong email or password/);
    expect(page.url()).toContain('/sign-in');

    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
    await expect.poll(() => page.getByRole('heading', { level: 1 }).first().textContent()).toBe('Overview');
    const temporalLink = page.getByRole('link', { name: /Temporal UI/ });
    expect(await temporalLink.getAttribute('href')).toBe('http://localhost:8233');
    await page.close();
  });

  it('shows every system part healthy on /status, with the worker connected', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/status`);
    await expect.poll(() => page.locator('[data-check="worker"]').getAttribute('data-ok')).toBe('true');
    for (const check of ['postgres', 'migrations', 'temporal', 'worker', 'warehouse']) {
      expect(await page.locator(`[data-check="${check}"]`).getAttribute('data-ok')).toBe('true');
    }
    await expect.poll(() => page.getByText('All healthy').count()).toBeGreaterThan(0);
    await page.close();
  });

  it('rejects tRPC calls without a session with UNAUTHORIZED', async () => {
    const res = await fetch(`${app.url}/api/trpc/workspace.me`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error?: { json?: { data?: { code?: string } } } };
    expect(body.error?.json?.data?.code).toBe('UNAUTHORIZED');
  });
});
