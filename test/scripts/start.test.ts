/**
 * `npm start` with bad input: each case prints one line naming the cause and the
 * fix, exits non-zero, and leaves nothing behind (no stale lock, no database
 * created, no server left running).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/ports';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'bf-start-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    DATA_DIR: dataDir,
    NEXTAUTH_SECRET: randomBytes(32).toString('base64'),
    BACKFLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    EMBEDDED_PG_PORT: String(await freePort()),
  };
  return new Promise((resolve) => {
    // cwd is a temp dir without .env, so only these variables apply.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'start.ts')], {
      cwd: ROOT,
      env: { NODE_ENV: 'test', ...base, ...env, BACKFLOW_IGNORE_DOTENV: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The one error line (✖ …) and its content. */
function errorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('✖'));
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('npm start refuses bad input with one line', () => {
  it('a bad environment variable', async () => {
    const r = await start({ PORT: 'eighty' });
    expect(r.code).not.toBe(0);
    expect(errorLine(r.stderr)).toMatch(/PORT is invalid \("eighty"\).*fix: set PORT/);
  });

  it('a missing secret', async () => {
    const r = await start({ NEXTAUTH_SECRET: '' });
    expect(r.code).not.toBe(0);
    expect(errorLine(r.stderr)).toMatch(/NEXTAUTH_SECRET is missing — fix: run `npm run setup`/);
  });

  it('a second npm start', async () => {
    // A live process holds the lock: this test's own pid.
    await writeFile(path.join(dataDir, 'backflow.pid'), String(process.pid));
    const r = await start({});
    expect(r.code).not.toBe(0);
    expect(errorLine(r.stderr)).toMatch(new RegExp(`already running \\(pid ${process.pid}\\).*fix:`));
    expect(existsSync(path.join(dataDir, 'backflow.pid'))).toBe(true); // the other instance's lock is untouched
  });

  it('a port already in use', async () => {
    const server = net.createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
    try {
      const r = await start({ PORT: String(port) });
      expect(r.code).not.toBe(0);
      expect(errorLine(r.stderr)).toMatch(new RegExp(`port ${port} \\(the web app\\) is already in use — fix: .*PORT`));
      expect(existsSync(path.join(dataDir, 'backflow.pid'))).toBe(false); // its own lock is released
    } finally {
      server.close();
    }
  });

  it('a missing Temporal binary', async () => {
    const r = await start({ TEMPORAL_CLI: '/nonexistent/temporal' });
    expect(r.code).not.toBe(0);
    expect(errorLine(r.stderr)).toMatch(/TEMPORAL_CLI=\/nonexistent\/temporal is not an executable file — fix:/);
  });

  it('a wrong DATABASE_URL', async () => {
    const port = await freePort(); // nothing listens there
    const r = await start({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/backflow`, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).not.toBe(0);
    expect(errorLine(r.stderr)).toMatch(new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port} \\(connection refused\\) — fix:`));
  });
});
