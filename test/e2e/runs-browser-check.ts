/**
 * Browser check of the Runs UI and the Overview, in Chromium, against a running
 * app whose database was filled by test/e2e/runs-seed.ts. It is a script, not a
 * vitest file: it needs a running app (the lead wires e2e into CI later).
 *
 *   tsx test/e2e/runs-browser-check.ts http://localhost:3100
 *
 * Each step asserts what a user must see; the first failed step stops the
 * script with its name and a screenshot in /tmp/backflow-runs-check/.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { chromium, type Page } from 'playwright-core';
import { UI_ADMIN, UI_PASSWORD, uiMember } from './runs-users';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = '/tmp/backflow-runs-check';

async function signIn(page: Page, base: string, email: string) {
  await page.goto(`${base}/sign-in`);
  await page.waitForLoadState('networkidle');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', UI_PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'), { timeout: 60_000 });
}

/** Opens the newest run with this status from the filtered history. */
async function openRun(page: Page, base: string, status: string) {
  await page.goto(`${base}/runs?status=${status}`);
  const link = page.locator('table.runs-table a.run-link').first();
  await link.waitFor({ timeout: 30_000 });
  await link.click();
  await page.waitForURL(/\/runs\/run_/);
  await page.locator('.run-head').waitFor();
}

const number = (text: string) => Number(text.replace(/[^\d]/g, ''));

async function main() {
  const base = process.argv[2] ?? 'http://localhost:3100';
  await mkdir(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  let step = 'sign in';
  const check = async (name: string, fn: () => Promise<void>) => {
    step = name;
    await fn();
    console.log(`✓ ${name}`);
  };
  try {
    await signIn(page, base, UI_ADMIN);

    await check('run history lists runs with a text status', async () => {
      await page.goto(`${base}/runs`);
      await page.locator('table.runs-table tbody tr').first().waitFor({ timeout: 30_000 });
      const badges = await page.locator('table.runs-table .run-badge').allInnerTexts();
      for (const s of ['Succeeded', 'Partial', 'Failed', 'Needs confirmation']) assert.ok(badges.some((b) => b.includes(s)), `no "${s}" badge in ${badges.join(', ')}`);
    });

    await check('the status filter goes into the query string and filters', async () => {
      await page.locator('.runs-toolbar select').first().selectOption('failed');
      await page.waitForURL(/status=failed/);
      await page.locator('table.runs-table tbody tr').first().waitFor();
      const badges = await page.locator('table.runs-table .run-badge').allInnerTexts();
      assert.ok(badges.length > 0 && badges.every((b) => b.includes('Failed')), `not only failed runs: ${badges.join(', ')}`);
    });

    await check('a failed run shows its error and where it stopped', async () => {
      await openRun(page, base, 'failed');
      assert.match(await page.locator('.error-banner').innerText(), /no_such_object/);
      assert.ok((await page.locator('.step-failed').count()) >= 1, 'no step is marked failed');
    });

    await check('a partial run offers to retry exactly its failed rows', async () => {
      await openRun(page, base, 'partial');
      const counts = await page.locator('.funnel-table tr').allInnerTexts();
      const of = (label: string) => number(counts.find((c) => c.startsWith(label)) ?? '');
      const failed = of('Rejected') + of('Retries exhausted');
      assert.ok(failed > 0, 'the partial run has no failed rows');
      const retry = page.getByRole('button', { name: /Retry .* failed row/ });
      assert.equal(number(await retry.innerText()), failed);
    });

    await check('row errors: kind tabs carry counts, and a tab filters the table', async () => {
      const rejectedTab = page.getByRole('tab', { name: /Rejected/ });
      const count = number(await rejectedTab.innerText());
      assert.ok(count > 0);
      await rejectedTab.click();
      await page.waitForTimeout(800);
      const kinds = await page.locator('.errors-table .kind-pill').allInnerTexts();
      assert.ok(kinds.length > 0 && kinds.every((k) => k === 'Rejected'), `kinds: ${kinds.join(', ')}`);
    });

    await check('clicking a record key looks the record up', async () => {
      const key = (await page.locator('.errors-table tbody tr').first().locator('button').first().innerText()).trim();
      await page.locator('.errors-table tbody tr').first().locator('button').first().click();
      await page.locator('.lookup-dest').first().waitFor({ timeout: 15_000 });
      assert.equal(await page.locator('.record-lookup input[type=search]').inputValue(), key);
      assert.match(await page.locator('.lookup-dest').first().innerText(), /Failing/);
      assert.match(await page.locator('.lookup-errors').first().innerText(), /block list/);
    });

    await check('held deletions are explained and need an editor', async () => {
      await openRun(page, base, 'needs_confirmation');
      assert.match(await page.locator('.held-banner').innerText(), /deletions? (is|are) waiting/);
      await page.getByRole('button', { name: 'Confirm deletions' }).click();
      const dialog = page.locator('dialog[open]');
      assert.match(await dialog.innerText(), /Delete \d[\d,]* records? from the destination\?/);
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('dialog[open]').count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Skip deletions' }).count(), 1);
    });

    await check('the Overview shows the week and the latest failures', async () => {
      await page.goto(`${base}/`);
      await page.locator('.stat-tile').first().waitFor();
      assert.ok(number(await page.locator('.stat-tile').first().locator('.stat-value').innerText()) > 0, 'no runs counted this week');
      assert.ok((await page.locator('.failure-list li').count()) > 0, 'no recent failures listed');
      assert.ok((await page.locator('.day-chart svg').count()) >= 2, 'the day charts did not render');
    });

    await check('a viewer sees runs but no controls', async () => {
      await page.context().clearCookies();
      await signIn(page, base, uiMember('viewer'));
      await openRun(page, base, 'needs_confirmation');
      assert.equal(await page.getByRole('button', { name: 'Confirm deletions' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Cancel run' }).count(), 0);
      assert.match(await page.locator('.run-controls').innerText(), /Viewers can watch runs/);
    });

    await check('an operator may skip, but not confirm, held deletions', async () => {
      await page.context().clearCookies();
      await signIn(page, base, uiMember('operator'));
      await openRun(page, base, 'needs_confirmation');
      assert.equal(await page.getByRole('button', { name: 'Confirm deletions' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Skip deletions' }).count(), 1);
    });

    assert.deepEqual(errors, [], `uncaught page errors: ${errors.join('; ')}`);
    console.log('browser check passed');
  } catch (err) {
    await page.screenshot({ path: `${SHOTS}/failed.png`, fullPage: true }).catch(() => undefined);
    console.error(`✗ ${step}: ${err instanceof Error ? err.message : String(err)} (screenshot: ${SHOTS}/failed.png)`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

await main();
