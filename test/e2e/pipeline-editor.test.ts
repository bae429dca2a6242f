/**
 * The pipeline editor in Chromium, on a built app started by the test (or, with
 * E2E_BASE_URL, E2E_EMAIL and E2E_PASSWORD set, against an app already running
 * whose workspace has a DuckDB demo-warehouse connection and a destination):
 * demo template → valid graph, live expression errors with positions, refused
 * connections, delete/copy/paste/undo, node preview and destination dry run,
 * publish and versions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ensureDemoWarehouse } from '../../scripts/lib/demo-warehouse';
import { createWorkspace, testDb } from '../helpers/db';
import { createConnection } from '../helpers/pipelines';
import { startWorker, type RunningWorker } from '../helpers/temporal';
import { launchBrowser, startApp, type AppServer } from './app-server';

describe('pipeline editor (Chromium)', () => {
  let browser: Browser;
  let page: Page;
  let app: AppServer | undefined;
  let worker: RunningWorker | undefined;
  let dir: string | undefined;
  let BASE: string;
  const nodeIds = () => page.evaluate(() => [...document.querySelectorAll('.react-flow__node')].map((n) => n.getAttribute('data-id')).sort());

  beforeAll(async () => {
    // The test's own environment, read directly: these are test settings, not app configuration.
    const external = process.env.E2E_BASE_URL;
    let email = process.env.E2E_EMAIL ?? '';
    let password = process.env.E2E_PASSWORD ?? '';
    if (external) {
      BASE = external;
    } else {
      dir = await mkdtemp(path.join(tmpdir(), 'bf-e2e-editor-'));
      const warehouse = path.join(dir, 'warehouse.duckdb');
      await ensureDemoWarehouse(warehouse, { customers: 2_000 });
      const db = testDb();
      const ws = await createWorkspace(db, ['admin']);
      email = ws.members.admin.email;
      password = ws.members.admin.password;
      await createConnection(db, ws.workspace.id, { name: 'Demo warehouse', kind: 'source', connector: 'duckdb', config: { path: warehouse } });
      await createConnection(db, ws.workspace.id, { name: 'Test sink', kind: 'destination', connector: 'noop-sink', config: {} });
      worker = await startWorker({ db, workerId: 'e2e-editor-worker' }, `e2e-editor-${Date.now()}`);
      app = await startApp({ TEMPORAL_TASK_QUEUE: worker.taskQueue, WAREHOUSE_PATH: warehouse });
      BASE = app.url;
    }
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1600, height: 950 } })).newPage();
    await page.goto(`${BASE}/sign-in`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'), { timeout: 120_000 });
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await worker?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates a pipeline from the demo template and shows it on the canvas, valid', async () => {
    await page.goto(`${BASE}/pipelines`);
    await page.click('text=New pipeline');
    await page.fill('dialog input', `E2E churn ${Date.now()}`);
    await page.click('button:has-text("Create pipeline")');
    await page.waitForSelector('[data-testid=pipeline-editor]', { timeout: 120_000 });
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 5, null, { timeout: 60_000 });
    expect(await nodeIds()).toEqual(['d1', 'f1', 'm1', 'q1', 't1']);
    // Introspection fills the query's columns; the shared validator then finds no errors.
    await page.waitForSelector('button:has-text("✓ Valid")', { timeout: 60_000 });
    await page.waitForSelector('[data-save=saved]', { timeout: 30_000 });
  }, 240_000);

  it('shows a live expression error with its position, badges the node, and undo restores it', async () => {
    await page.click('.react-flow__node[data-id=t1]');
    const expr = page.locator('textarea[aria-label="Column 2 expression"]');
    const before = await expr.inputValue();
    await expr.fill('round(churn_rsk * 100, 1)');
    await page.waitForSelector('text=characters 7–15', { timeout: 10_000 });
    await page.waitForSelector('.react-flow__node[data-id=t1] [data-status=error]', { timeout: 10_000 });
    await page.click('.react-flow__pane', { position: { x: 150, y: 80 } });
    await page.keyboard.press('Control+z');
    await page.click('.react-flow__node[data-id=t1]');
    expect(await expr.inputValue()).toBe(before);
  });

  it('refuses an invalid connection with a toast', async () => {
    const a = await page.locator('.react-flow__node[data-id=q1] .react-flow__handle.source').boundingBox();
    const b = await page.locator('.react-flow__node[data-id=d1] .react-flow__handle.target').boundingBox();
    await page.mouse.move(a!.x + a!.width / 2, a!.y + a!.height / 2);
    await page.mouse.down();
    await page.mouse.move(b!.x + b!.width / 2, b!.y + b!.height / 2, { steps: 12 });
    await page.mouse.up();
    await page.waitForSelector('[data-tone=error]:has-text("Connection refused")', { timeout: 10_000 });
  });

  it('deletes with healing, pastes copies with new ids, and undoes both', async () => {
    await page.click('.react-flow__node[data-id=f1]');
    await page.keyboard.press('Delete');
    await page.waitForFunction(() => !document.querySelector('.react-flow__node[data-id=f1]'));
    expect(await page.locator('.react-flow__edge[data-id=q1-t1], [data-testid="rf__edge-q1-t1"]').count()).toBe(1);
    await page.click('.react-flow__node[data-id=t1]');
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await page.waitForSelector('.react-flow__node[data-id=t2]');
    await page.click('.react-flow__pane', { position: { x: 150, y: 80 } });
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 5);
    expect(await nodeIds()).toEqual(['d1', 'f1', 'm1', 'q1', 't1']);
  });

  it('previews a node and dry-runs the destination', async () => {
    await page.click('.react-flow__node[data-id=t1]');
    await page.keyboard.press('Control+Enter');
    const stats = await page.waitForSelector('[data-testid=preview-stats]', { timeout: 120_000 });
    expect(await stats.textContent()).toMatch(/\d+ rows?.*17 columns/);
    await page.click('.react-flow__node[data-id=d1]', { force: true });
    await page.keyboard.press('Control+Enter');
    const dry = await page.waitForSelector('[data-testid=dry-run]', { timeout: 120_000 });
    expect(await dry.textContent()).toMatch(/would send [\d,]+ adds/);
  }, 240_000);

  it('publishes and lists the version', async () => {
    await page.click('button:has-text("Publish")');
    await page.waitForSelector('[data-tone=ok]:has-text("Published version 1")', { timeout: 120_000 });
    await page.click('button:has-text("Versions")');
    await page.waitForSelector('aside[aria-label=Versions] li:has-text("v1")');
  }, 180_000);
});
