/**
 * How every launcher starts a worker process (npm start, npm run worker, the
 * bench, the chaos harness, tests): build it once, then
 * `node <WORKER_NODE_FLAGS> <dir>/worker.mjs`.
 *
 * buildWorker writes two files into one directory:
 * - worker.mjs: workflows/temporal/worker.ts and the project code it imports,
 *   compiled by esbuild into one ES module (node_modules stay external). A
 *   worker therefore runs plain JavaScript: the tsx loader would add ~35 MB and
 *   a loader thread to every worker.
 * - workflow-bundle.js: the workflow code bundled by webpack (Temporal's
 *   bundler), which the worker loads instead of bundling at start-up.
 *
 * The directory is inside the project (node_modules/.cache), so that the
 * bundle's bare imports resolve from the project's node_modules.
 *
 * WORKER_NODE_FLAGS:
 * - --max-old-space-size bounds the V8 heap. A worker holds at most a few
 *   batches of rows at a time, but without a bound V8 lets garbage pile up to a
 *   large share of the host's memory before collecting it.
 * - --liftoff-only compiles WebAssembly with V8's baseline compiler only. The
 *   one WebAssembly module a worker runs is Prisma's query compiler, for a few
 *   control-plane queries per activity; its optimised code would cost ~45 MB.
 * - --expose-gc lets the worker collect V8's garbage before an extract
 *   (activities.ts collectGarbage), so the heap left by earlier deliveries
 *   does not stack on top of the warehouse client's native memory.
 * - --max-semi-space-size=4 (MB) keeps V8's young generation small. A trade:
 *   in-process profiles put a first sync's delivery 10–25% slower than with
 *   the 16 MB default, for peaks ~40 MB lower.
 *
 * WORKER_ENV:
 * - MALLOC_ARENA_MAX=2 stops glibc from keeping one malloc arena per thread
 *   (DuckDB's, libuv's, Temporal's core): memory freed in one arena is not
 *   reused by another, so a busy worker's native memory would ratchet up.
 * - DUCKDB_JE_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0 has DuckDB's own
 *   allocator (a jemalloc built into libduckdb, used by DuckDB sources only)
 *   hand freed pages back at once instead of keeping them for reuse. A trade:
 *   at 5M rows and a 64 MB memoryLimit one aggregation then raises the
 *   resident set by 65–70 MB instead of 81–107, and the worker's peak at 1M
 *   rows is ~20–30 MB lower (282–307 against 310–323 MB on an Intel Xeon host,
 *   283–290 against 312–327 on an AMD EPYC one). The cost is that every
 *   allocation after a free faults fresh pages in: on the Intel host a first
 *   sync's extract took ~25% longer; on the AMD host the incremental run took
 *   3.84–4.02 s against 2.72–2.77 before the extract SQL built its strings with
 *   fewer allocations (DialectSql.concatNonNull), 3.34–3.58 s after. A 1 MB
 *   oversize_threshold instead kept the speed, but the peak grew 16% from 1M to
 *   5M rows against 12% (docs/performance.md).
 *
 * Source maps are written beside worker.mjs but not loaded: Node's
 * --enable-source-maps would parse them at start-up and keep them (~20 MB).
 * Add the flag when a stack trace needs to point into the .ts sources; the
 * bundle also marks each module with its source path.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { WORKFLOW_BUNDLE_FILE, writeWorkflowBundle } from './worker';

export const WORKER_NODE_FLAGS = ['--max-old-space-size=192', '--max-semi-space-size=4', '--liftoff-only', '--expose-gc'] as const;
const WORKER_ENV = { MALLOC_ARENA_MAX: '2', DUCKDB_JE_MALLOC_CONF: 'dirty_decay_ms:0,muzzy_decay_ms:0' } as const;

/** How to start a built worker: `spawn(process.execPath, argv, { env: { ...yourEnv, ...env } })`. */
export type WorkerCommand = { argv: string[]; env: Record<string, string> };

const here = path.dirname(fileURLToPath(import.meta.url));
const PROJECT_DIR = path.resolve(here, '../..');

const WORKER_DIR = path.join(PROJECT_DIR, 'node_modules', '.cache', 'backflow-worker');

/** Builds the worker into WORKER_DIR (see above) and returns how to start it. */
export async function buildWorker(): Promise<WorkerCommand> {
  const entry = path.join(WORKER_DIR, 'worker.mjs');
  const [compiled] = await Promise.all([
    build({
      entryPoints: [path.join(here, 'worker.ts')],
      outfile: entry,
      write: false,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      logLevel: 'error',
    }),
    writeAtomically(path.join(WORKER_DIR, WORKFLOW_BUNDLE_FILE), (tmp) => writeWorkflowBundle(tmp)),
  ]);
  // The source map first, the module last: a starting worker never sees half a build.
  const outputs = [...compiled.outputFiles].sort((a, b) => Number(a.path === entry) - Number(b.path === entry));
  for (const out of outputs) await writeAtomically(out.path, (tmp) => writeFile(tmp, out.contents));
  return { argv: [...WORKER_NODE_FLAGS, entry], env: { ...WORKER_ENV } };
}

/** Writes via a temporary name and a rename, so concurrent builds and starts never see a partial file. */
async function writeAtomically(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await write(tmp);
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}
