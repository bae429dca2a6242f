/**
 * Browser-test harness: a production build of the app (own dist dir, rebuilt
 * when sources are newer), `next start` on a free port against the test
 * database and Temporal, and headless Chromium from Debian (/usr/bin/chromium).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { inject } from 'vitest';
import { freePort, waitForPort } from '../../scripts/lib/ports';
import { stopChild } from '../../scripts/lib/temporal-cli';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const E2E_DIST_DIR = '.next-e2e';
const CHROMIUM = '/usr/bin/chromium';

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtime(p) : (await stat(p)).mtimeMs);
  }
  return newest;
}

let building: Promise<void> | undefined;

/** Test files run in parallel processes: one builds while the others wait (an atomic mkdir lock). */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = path.join(ROOT, `${E2E_DIST_DIR}.lock`);
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const age = Date.now() - (await stat(lock).then((s) => s.mtimeMs).catch(() => Date.now()));
      if (age > 20 * 60_000) await rm(lock, { recursive: true, force: true }); // a crashed builder
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** `next build` into .next-e2e unless a build newer than every source file exists. */
export function ensureBuild(): Promise<void> {
  building ??= withBuildLock(async () => {
    const buildId = path.join(ROOT, E2E_DIST_DIR, 'BUILD_ID');
    if (existsSync(buildId)) {
      const built = (await stat(buildId)).mtimeMs;
      const sources = Math.max(...(await Promise.all(['app', 'workflows', 'connectors'].map((d) => newestMtime(path.join(ROOT, d))))));
      if (built > sources) return;
    }
    await promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'next'), ['build'], {
      cwd: ROOT,
      env: { ...process.env, NEXT_DIST_DIR: E2E_DIST_DIR, NEXT_TELEMETRY_DISABLED: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
  });
  return building;
}

export type AppServer = { url: string; stop: () => Promise<void> };

export async function startApp(env: Record<string, string>): Promise<AppServer> {
  await ensureBuild();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(path.join(ROOT, 'node_modules', '.bin', 'next'), ['start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NEXT_DIST_DIR: E2E_DIST_DIR,
      NEXT_TELEMETRY_DISABLED: '1',
      BACKFLOW_IGNORE_DOTENV: '1',
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      APP_URL: url,
      NEXTAUTH_URL: url,
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout?.on('data', (b: Buffer) => (logs = (logs + b.toString()).slice(-8000)));
  child.stderr?.on('data', (b: Buffer) => (logs = (logs + b.toString()).slice(-8000)));
  try {
    await waitForPort(port, '127.0.0.1', 60_000, 'next start');
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${logs}`);
  }
  return {
    url,
    stop: () => stopChild(child, 5_000),
  };
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing — fix: apt-get install -y chromium (bash .ci/run does it)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
