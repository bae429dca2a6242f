/**
 * Connections in the browser: the empty state connects the demo warehouse in
 * one click, "Test connection" reports the result, Browse lists its tables, and
 * a connection with a wrong file path shows the exact failure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoWarehouse } from '../../scripts/lib/demo-warehouse';
import { createWorkspace, testDb } from '../helpers/db';
import { createConnection } from '../helpers/pipelines';
import { launchBrowser, startApp, type AppServer } from './app-server';

describe('connections in the browser', () => {
  let dir: string;
  let app: AppServer;
  let browser: Browser;
  let page: Page;
  let workspaceId: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bf-e2e-conn-'));
    const warehouse = path.join(dir, 'warehouse.duckdb');
    await ensureDemoWarehouse(warehouse, { customers: 300 });
    const db = testDb();
    const ws = await createWorkspace(db, ['admin']);
    workspaceId = ws.workspace.id;
    app = await startApp({ WAREHOUSE_PATH: warehouse });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${app.url}/sign-in`);
    await page.getByLabel('Email').fill(ws.members.admin.email);
    await page.getByLabel('Password').fill(ws.members.admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('connects the demo warehouse from the empty state and tests it', async () => {
    await page.goto(`${app.url}/connections`);
    await page.getByRole('button', { name: 'Connect the demo warehouse' }).click();
    // The new connection opens (or is listed); either way its test reports success.
    await page.waitForURL(/\/connections\/[^/]+$/, { timeout: 30_000 }).catch(() => undefined);
    if (!/\/connections\/[^/]+$/.test(new URL(page.url()).pathname)) {
      await page.getByRole('link', { name: /Demo warehouse/ }).first().click();
      await page.waitForURL(/\/connections\/[^/]+$/);
    }
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Connection' }).first().textContent(), { timeout: 30_000 }).toMatch(
      /Connection works\./,
    );
    const row = await testDb().connection.findFirstOrThrow({ where: { workspaceId, name: 'Demo warehouse' } });
    expect(row.lastTestOk).toBe(true);
    // Credentials are never sent back: the page holds no ciphertext either.
    expect(await page.content()).not.toContain(row.credentials);
  });

  it('shows the exact failure for a connection whose file is gone', async () => {
    const broken = await createConnection(testDb(), workspaceId, {
      name: 'Moved warehouse',
      kind: 'source',
      connector: 'duckdb',
      config: { path: path.join(dir, 'moved.duckdb') },
    });
    await page.goto(`${app.url}/connections/${broken.id}`);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(() => page.locator('.conn-test-result').first().textContent(), { timeout: 30_000 }).toMatch(/moved\.duckdb.*does not exist/);
  });
});
