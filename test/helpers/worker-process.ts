/**
 * Worker PROCESSES on the test database and Temporal server, for tests that
 * kill workers or need two of them (rate limits across processes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';
import { buildWorker, type WorkerCommand } from '../../workflows/temporal/worker-command';

let built: Promise<WorkerCommand> | undefined;

/** The worker built once per test file, and run as launchers run it. */
function workerCommand(): Promise<WorkerCommand> {
  built ??= buildWorker();
  return built;
}

export type WorkerProc = { child: ChildProcess; ready: Promise<void>; kill(signal?: NodeJS.Signals): Promise<void> };

/** `address`: another Temporal server than the run's shared one (e.g. a test's own dev server). */
export async function spawnWorkerProcess(taskQueue: string, extraEnv: Record<string, string> = {}, address = inject('temporalAddress')): Promise<WorkerProc> {
  const root = path.resolve(import.meta.dirname, '../..');
  const command = await workerCommand();
  const child = spawn(process.execPath, command.argv, {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ...command.env,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('polling')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`worker exited (${signal ?? code}) before polling: ${stderr}`)));
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}
