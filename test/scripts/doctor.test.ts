/**
 * `npm run doctor` against real services: it names a stopped Temporal with its
 * fix and exits non-zero, and reports all healthy (exit 0) when everything runs.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Check } from '../../app/_server/health';
import { freePort } from '../../scripts/lib/ports';
import { ensureDemoWarehouse } from '../../scripts/lib/demo-warehouse';
import { testDb } from '../helpers/db';
import { startWorker, type RunningWorker } from '../helpers/temporal';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dir: string;
let warehouse: string;

function doctor(env: Record<string, string>): Promise<{ code: number | null; checks: Check[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/doctor.ts', '--json'], {
      cwd: ROOT,
      env: { NODE_ENV: 'test', PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', BACKFLOW_IGNORE_DOTENV: '1', DATA_DIR: dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.once('exit', (code) => {
      try {
        resolve({ code, checks: JSON.parse(out.trim().split('\n').pop() ?? '[]') as Check[] });
      } catch {
        reject(new Error(`doctor printed no JSON (exit ${code}): ${out} ${err}`));
      }
    });
  });
}

describe('npm run doctor', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bf-doctor-'));
    warehouse = path.join(dir, 'warehouse.duckdb');
    await ensureDemoWarehouse(warehouse, { customers: 500 });
    worker = await startWorker({ db: testDb(), workerId: 'doctor-test' }, `doctor-${Date.now()}`);
  });
  afterAll(async () => {
    await worker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a stopped Temporal with its fix and exits 1', async () => {
    const port = await freePort();
    const r = await doctor({ DATABASE_URL: inject('databaseUrl'), TEMPORAL_ADDRESS: `127.0.0.1:${port}`, WAREHOUSE_PATH: warehouse });
    expect(r.code).toBe(1);
    const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    expect(byName.postgres?.ok).toBe(true);
    expect(byName.migrations?.ok).toBe(true);
    expect(byName.warehouse?.ok).toBe(true);
    expect(byName.temporal).toMatchObject({ ok: false, detail: expect.stringContaining(`127.0.0.1:${port}`) });
    expect(byName.temporal?.fix).toMatch(/TEMPORAL_ADDRESS/);
    expect(byName.worker?.ok).toBe(false);
  });

  it('reports a missing warehouse and an unreachable database with their fixes', async () => {
    const port = await freePort();
    const r = await doctor({
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/nope`,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      WAREHOUSE_PATH: path.join(dir, 'missing.duckdb'),
    });
    expect(r.code).toBe(1);
    const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    expect(byName.postgres).toMatchObject({ ok: false, detail: expect.stringContaining('connection refused') });
    expect(byName.warehouse).toMatchObject({ ok: false, fix: expect.stringContaining('npm run setup') });
  });

  it('reports everything healthy, with a connected worker, and exits 0', async () => {
    const r = await doctor({
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: worker.taskQueue,
      WAREHOUSE_PATH: warehouse,
    });
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.checks.find((c) => c.name === 'worker')?.detail).toMatch(/1 worker\(s\) polling/);
    expect(r.code).toBe(0);
  });
});
