/**
 * The chaos harness as CI runs it (`npm run test:chaos -- --kills 3 --rows 5000`),
 * plus its control run with the intent ledger switched off, which must SEE
 * duplicates — proof that the zero in the real run is not a blind spot.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function runChaos(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts', ...args], {
      cwd: ROOT,
      // The harness makes its own databases on the test server and its own Temporal.
      env: { ...process.env, DATABASE_URL: inject('adminDatabaseUrl') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

function summary(out: string) {
  const m = /kills_in_deliver: (\d+) duplicates: (\d+) missing: (\d+)/.exec(out);
  if (!m) throw new Error(`no summary line in the chaos output:\n${out}`);
  return { killsInDeliver: Number(m[1]), duplicates: Number(m[2]), missing: Number(m[3]) };
}

describe('chaos: SIGKILLed workers during a sync', () => {
  it('3 kills during a 5,000-row sync: no duplicates, nothing missing', { timeout: 600_000 }, async () => {
    const { code, out } = await runChaos(['--kills', '3', '--rows', '5000', '--seed', '20261122']);
    const s = summary(out);
    expect(s.killsInDeliver).toBeGreaterThanOrEqual(2); // at least half of the kills land inside delivery
    expect(s.duplicates).toBe(0);
    expect(s.missing).toBe(0);
    expect(code).toBe(0);
  });

  it('control run with the intent ledger off reports duplicates (and exits non-zero)', { timeout: 600_000 }, async () => {
    const { code, out } = await runChaos(['--kills', '2', '--rows', '1000', '--seed', '7', '--no-ledger']);
    const s = summary(out);
    expect(s.killsInDeliver).toBeGreaterThanOrEqual(1);
    expect(s.duplicates).toBeGreaterThan(0);
    expect(code).not.toBe(0);
  });
});
