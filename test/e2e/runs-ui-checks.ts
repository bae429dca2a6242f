/**
 * What a user must see in the Runs UI and on the Overview, as browser steps
 * over the data of runs-fixture.ts. Shared by runs.test.ts (vitest, a built
 * app) and runs-browser-check.ts (any running app). Steps run in order: the
 * first signs in as the admin, the last two switch to a viewer and an operator.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

export type UiUser = { email: string; password: string };
export type UiContext = { page: Page; base: string; users: { admin: UiUser; viewer: UiUser; operator: UiUser } };
export type UiCheck = { name: string; run: (ctx: UiContext) => Promise<void> };

export async function signIn({ page, base }: UiContext, user: UiUser): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${base}/sign-in`);
  // Submitting before hydration would post the form natively.
  await page.waitForLoadState('networkidle');
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=password]', user.password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'), { timeout: 60_000 });
}

/** Opens the newest run with this status from the filtered history. */
async function openRun({ page, base }: UiContext, status: string): Promise<void> {
  await page.goto(`${base}/runs?status=${status}`);
  const link = page.locator('table.runs-table a.run-link').first();
  await link.waitFor({ timeout: 30_000 });
  await link.click();
  await page.waitForURL(/\/runs\/run_/);
  await page.locator('.run-head').waitFor();
}

const digits = (text: string) => Number(text.replace(/[^\d]/g, ''));

export const RUNS_UI_CHECKS: UiCheck[] = [
  {
    name: 'run history lists runs with a status in words',
    async run(ctx) {
      await signIn(ctx, ctx.users.admin);
      await ctx.page.goto(`${ctx.base}/runs`);
      await ctx.page.locator('table.runs-table tbody tr').first().waitFor({ timeout: 30_000 });
      const badges = await ctx.page.locator('table.runs-table .run-badge').allInnerTexts();
      for (const s of ['Succeeded', 'Partial', 'Failed', 'Needs confirmation']) assert.ok(badges.some((b) => b.includes(s)), `no "${s}" badge in ${badges.join(', ')}`);
    },
  },
  {
    name: 'the status filter goes into the query string and filters',
    async run({ page }) {
      await page.locator('.runs-toolbar select').first().selectOption('failed');
      await page.waitForURL(/status=failed/);
      await page.waitForFunction(() => {
        const badges = [...document.querySelectorAll('table.runs-table .run-badge')];
        return badges.length > 0 && badges.every((b) => b.textContent?.includes('Failed'));
      });
    },
  },
  {
    name: 'a failed run shows its error and the step it stopped at',
    async run(ctx) {
      await openRun(ctx, 'failed');
      assert.match(await ctx.page.locator('.error-banner').innerText(), /no_such_object/);
      assert.equal(await ctx.page.locator('.step-failed').count(), 1, 'not exactly one step is marked failed');
    },
  },
  {
    name: 'a partial run offers to retry exactly its failed rows',
    async run(ctx) {
      await openRun(ctx, 'partial');
      const rows = await ctx.page.locator('.funnel-table tr').allInnerTexts();
      const count = (label: string) => digits(rows.find((r) => r.startsWith(label)) ?? '');
      const failed = count('Rejected') + count('Retries exhausted');
      assert.ok(count('Rejected') > 0 && count('Retries exhausted') > 0, `expected rejected and exhausted rows: ${rows.join(' | ')}`);
      assert.equal(digits(await ctx.page.getByRole('button', { name: /Retry .* failed row/ }).innerText()), failed);
    },
  },
  {
    name: 'row errors: kind tabs carry counts, and a tab filters the table',
    async run({ page }) {
      await page.locator('.errors-table tbody tr').first().waitFor({ timeout: 15_000 });
      const tab = page.getByRole('tab', { name: /Rejected/ });
      assert.ok(digits(await tab.innerText()) > 0, 'the Rejected tab counts no rows');
      await tab.click();
      await page.waitForFunction(() => {
        const kinds = [...document.querySelectorAll('.errors-table .kind-pill')];
        return kinds.length > 0 && kinds.every((k) => k.textContent === 'Rejected');
      });
    },
  },
  {
    name: 'clicking a record key looks the record up in every destination',
    async run({ page }) {
      const keyButton = page.locator('.errors-table tbody tr').first().locator('button').first();
      const key = (await keyButton.innerText()).trim();
      await keyButton.click();
      await page.locator('.lookup-dest').first().waitFor({ timeout: 15_000 });
      assert.equal(await page.locator('.record-lookup input[type=search]').inputValue(), key);
      assert.match(await page.locator('.lookup-dest').first().innerText(), /Failing/);
      assert.match(await page.locator('.lookup-errors').first().innerText(), /block list/);
    },
  },
  {
    name: 'held deletions are explained, and confirming asks first',
    async run(ctx) {
      const { page } = ctx;
      await openRun(ctx, 'needs_confirmation');
      assert.match(await page.locator('.held-banner').innerText(), /deletions? (is|are) waiting/);
      await page.getByRole('button', { name: 'Confirm deletions' }).click();
      assert.match(await page.locator('dialog[open]').innerText(), /Delete \d[\d,]* records? from the destination\?/);
      await page.keyboard.press('Escape');
      await page.locator('dialog[open]').waitFor({ state: 'detached' });
      assert.equal(await page.getByRole('button', { name: 'Skip deletions' }).count(), 1);
    },
  },
  {
    name: 'the Overview counts the week and lists the latest failures',
    async run({ page, base }) {
      await page.goto(`${base}/`);
      await page.locator('.stat-tile').first().waitFor();
      // '…' while the week's runs load.
      await page.waitForFunction(() => [...document.querySelectorAll('.stat-value')].every((e) => !e.textContent?.includes('…')), undefined, { timeout: 20_000 });
      assert.ok(digits(await page.locator('.stat-tile').first().locator('.stat-value').innerText()) > 0, 'no runs counted this week');
      assert.ok((await page.locator('.failure-list li').count()) > 0, 'no recent failures listed');
      await page.locator('.day-chart svg').nth(1).waitFor();
    },
  },
  {
    name: 'a viewer sees runs but no controls',
    async run(ctx) {
      await signIn(ctx, ctx.users.viewer);
      await openRun(ctx, 'needs_confirmation');
      await ctx.page.locator('.run-controls').getByText('Viewers can watch runs').waitFor();
      assert.equal(await ctx.page.getByRole('button', { name: 'Confirm deletions' }).count(), 0);
      assert.equal(await ctx.page.getByRole('button', { name: 'Cancel run' }).count(), 0);
    },
  },
  {
    name: 'an operator may skip held deletions but not confirm them',
    async run(ctx) {
      await signIn(ctx, ctx.users.operator);
      await openRun(ctx, 'needs_confirmation');
      await ctx.page.getByRole('button', { name: 'Skip deletions' }).waitFor();
      assert.equal(await ctx.page.getByRole('button', { name: 'Confirm deletions' }).count(), 0);
    },
  },
];
