/**
 * The browser steps of runs-ui-checks.ts against an app that is already
 * running on a database filled by runs-seed.ts (for looking at the UI while
 * developing; runs.test.ts runs the same steps on a built app in vitest).
 *
 * The whole sequence (each in the background, on one database and Temporal):
 *   tsx test/e2e/runs-receiver.ts 7398 300          # the slow test webhook receiver
 *   npm run worker                                  # a worker
 *   next dev -p 3100                                # the app
 *   tsx test/e2e/runs-seed.ts /tmp/bf-ui http://127.0.0.1:7398/hook
 *   tsx test/e2e/runs-browser-check.ts http://localhost:3100
 * Use `localhost`, not 127.0.0.1: next dev refuses its dev resources to other origins.
 * A failed step stops the script with its name and a screenshot in /tmp/backflow-runs-check/.
 */
import { mkdir } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { RUNS_UI_CHECKS, type UiContext } from './runs-ui-checks';
import { UI_ADMIN, UI_PASSWORD, uiMember } from './runs-users';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = '/tmp/backflow-runs-check';

const base = process.argv[2] ?? 'http://localhost:3100';
await mkdir(SHOTS, { recursive: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const pageErrors: string[] = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
const ctx: UiContext = {
  page,
  base,
  users: {
    admin: { email: UI_ADMIN, password: UI_PASSWORD },
    viewer: { email: uiMember('viewer'), password: UI_PASSWORD },
    operator: { email: uiMember('operator'), password: UI_PASSWORD },
  },
};
let failed = false;
for (const check of RUNS_UI_CHECKS) {
  try {
    await check.run(ctx);
    console.log(`✓ ${check.name}`);
  } catch (err) {
    await page.screenshot({ path: `${SHOTS}/failed.png`, fullPage: true }).catch(() => undefined);
    console.error(`✗ ${check.name}: ${err instanceof Error ? err.message : String(err)} (screenshot: ${SHOTS}/failed.png)`);
    failed = true;
    break;
  }
}
if (pageErrors.length) {
  console.error(`✗ uncaught page errors: ${pageErrors.join('; ')}`);
  failed = true;
}
await browser.close();
console.log(failed ? 'browser check FAILED' : 'browser check passed');
process.exit(failed ? 1 : 0);
