/**
 * How every launcher starts a worker process (npm start, the bench, the chaos
 * harness, tests): `node <flags> --import tsx workflows/temporal/worker.ts`.
 *
 * WORKER_NODE_FLAGS bound the V8 heap. A worker holds at most a few batches of
 * rows at a time, but without a bound V8 lets garbage pile up to a large share
 * of the machine's memory before collecting it, so a worker's footprint would
 * depend on the host instead of on its work. `npm run worker` passes the same
 * flags (package.json).
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=192'] as const;

export const WORKER_ENTRY = 'workflows/temporal/worker.ts';

/** argv for `spawn(process.execPath, workerArgs())`. */
export function workerArgs(): string[] {
  return [...WORKER_NODE_FLAGS, '--import', 'tsx', WORKER_ENTRY];
}
