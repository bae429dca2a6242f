/**
 * Activities, built by a factory with injected dependencies (samples-typescript
 * `activities-dependency-injection`). The workflow imports only the *type* of
 * this factory's result, so activity signatures stay checked end to end.
 *
 * Activities take and return ids, counts and cursors — never row data — so the
 * workflow history stays small whatever the row count. The logic lives in
 * workflows/engine (plain TypeScript); these wrappers add heartbeats and turn
 * fatal engine errors into non-retryable failures.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { deliverBatch, type BatchResult } from '../engine/deliver';
import { diff, objectUpserts, operationFor, releaseHeldDeletes, type DiffResult } from '../engine/diff';
import { extract } from '../engine/extract';
import { finalizeRun, finalizeTarget, type FinalizeInput, type FinalizeResult } from '../engine/finalize';
import { pin, type PinInput, type PinResult } from '../engine/pin';
import { EngineError, loadTarget, type EngineDeps, type LoadedTarget } from '../engine/target';
import type { Db } from '../../app/_server/db';
import { env } from '../../app/_server/env';
import { ConnectionConfigError } from '../../app/_server/connections/runtime';
import { DecryptError } from '../../app/_server/crypto';
import { isConnectorError } from '../../connectors/sdk/types';

export type ActivityDeps = Partial<EngineDeps> & {
  db: Db;
  /** Identifies this worker process in results and logs. */
  workerId: string;
};

function engine(deps: ActivityDeps): EngineDeps {
  if (!deps.pool || !deps.limiterFactory) throw new Error('worker started without the sync engine dependencies (pool, limiterFactory)');
  return deps as EngineDeps;
}

/**
 * Errors that the same input reproduces must not be retried by Temporal: fatal
 * engine errors, non-retryable connector errors (bad SQL, bad credentials, a
 * missing table), and stored connections that cannot be read.
 */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const name = Context.current().info.activityType;
  const memory = env().LOG_LEVEL === 'debug' ? sampleMemory() : null;
  try {
    const result = await fn();
    if (memory) console.log(`activity ${name} took ${Date.now() - started} ms, ${memory.report()}`);
    return result;
  } catch (err) {
    const fatal =
      (err instanceof EngineError && err.fatal) ||
      (isConnectorError(err) && !err.retryable) ||
      err instanceof ConnectionConfigError ||
      err instanceof DecryptError;
    if (fatal) throw ApplicationFailure.create({ message: (err as Error).message, type: 'EngineError', nonRetryable: true });
    throw err;
  } finally {
    memory?.stop();
  }
}

/**
 * A full V8 garbage collection, where the worker was started with
 * `--expose-gc` (worker-command.ts WORKER_NODE_FLAGS); elsewhere nothing.
 * Called before an extract: its warehouse reads are where a worker's native
 * memory peaks, and without it the old generation left by earlier deliveries
 * (each batch's rows outlive V8's nursery) stays resident underneath. V8 then
 * hands emptied pages back, and the extract's heap grows from what is live.
 * In the 1M-row DuckDB bench the worker's peak fell from 291-313 MB to
 * 273-275 MB, with run times unchanged (the peak comes in the incremental
 * run's extract; before it the heap held 67 MB in 82, 22 MB of it garbage);
 * at 5M rows the peak stayed at 318 MB, DuckDB's own.
 * The collection pauses the worker's other activities once per extract: 19-28 ms
 * in the bench's worker (~0.1 s for a heap with 100 MB live).
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Debug logging: the process's memory every 100 ms while an activity runs, so
 * its log line can say where a peak came from: V8's heap, memory held for
 * JavaScript outside it (Buffers), or native memory (DuckDB, Temporal's core,
 * code), which is the rest of the resident set.
 */
function sampleMemory() {
  const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, native: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.native = Math.max(peak.native, m.rss - m.heapTotal - m.external);
  };
  sample();
  const timer = setInterval(sample, 100);
  timer.unref();
  const mb = (b: number) => Math.round(b / 2 ** 20);
  return {
    stop: () => clearInterval(timer),
    report: () => {
      sample();
      return `rss ${mb(process.memoryUsage.rss())} MB; peak rss ${mb(peak.rss)}, V8 heap ${mb(peak.heapTotal)} (used ${mb(peak.heapUsed)}), external ${mb(peak.external)}, rest ${mb(peak.native)} MB`;
    },
  };
}

function heartbeater() {
  const ctx = Context.current();
  let last = 0;
  return {
    signal: ctx.cancellationSignal,
    beat(details: unknown) {
      const now = Date.now();
      if (now - last > 1_000) {
        last = now;
        ctx.heartbeat(details);
      }
    },
    /** Keeps heartbeating while a long call (a slow query, a rate-limit wait) runs. */
    async around<T>(details: () => unknown, fn: () => Promise<T>): Promise<T> {
      const timer = setInterval(() => ctx.heartbeat(details()), 2_000);
      try {
        return await fn();
      } finally {
        clearInterval(timer);
      }
    },
  };
}

/** The destination's batch size, optionally capped lower. */
function batchSizeOf(t: LoadedTarget, cap?: number): number {
  const size = t.destination.connector.capabilities.batchSize;
  return cap && cap > 0 ? Math.min(cap, size) : size;
}

export type ExtractOutput = {
  extracted: number;
  labelled: boolean;
  merged: boolean;
  objectUpsert: boolean;
  firstSync: boolean;
  /** Committed rows when the extract counted them, for diff's mirror safety check. */
  committedRows?: number | null;
};

export function createActivities(deps: ActivityDeps) {
  return {
    /** Proves a worker is polling and can reach the control-plane database. */
    async ping(): Promise<{ workerId: string; database: 'ok'; at: string }> {
      await deps.db.$queryRaw`SELECT 1`;
      return { workerId: deps.workerId, database: 'ok', at: new Date().toISOString() };
    },

    async pinRun(input: PinInput): Promise<PinResult> {
      return guard(() => pin(engine(deps), input));
    },

    async extractTarget(input: { runTargetId: string; maxBatchSize?: number }): Promise<ExtractOutput> {
      return guard(async () => {
        const e = engine(deps);
        const hb = heartbeater();
        const t = await loadTarget(e, input.runTargetId, hb.signal);
        await e.db.runTarget.update({ where: { id: t.runTargetId }, data: { phase: 'extract', status: 'running' } });
        const { connector, ctx } = t.destination;
        const discovered = await hb.around(() => ({ phase: 'discover' }), () => connector.discover(ctx));
        const object = discovered.objects.find((o) => o.name === t.path.destination.object);
        if (!object) {
          throw new EngineError(
            `${ctx.connectionName}: object "${t.path.destination.object}" no longer exists — fix: pick an existing object in the destination node and publish again`,
          );
        }
        if (object.fields.length > 0) {
          const known = new Set(object.fields.map((f) => f.name));
          const missing = t.path.fields.filter((f) => !known.has(f.name)).map((f) => f.name);
          if (missing.length) {
            throw new EngineError(
              `${ctx.connectionName}: field${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} no longer exist${missing.length > 1 ? '' : 's'} on "${object.name}" (the destination's schema changed) — fix: update the map node and publish again`,
            );
          }
        }
        const objectUpsert = objectUpserts(object, connector.capabilities);
        const firstOp = operationFor(t.path.destination.mode, 'added', objectUpsert) ?? 'upsert';
        collectGarbage();
        let rows = 0;
        const r = await hb.around(
          () => ({ phase: 'extract', rows }),
          () => extract(e, t, firstOp, batchSizeOf(t, input.maxBatchSize), (n) => (rows = n)),
        );
        await e.db.runTarget.update({
          where: { id: t.runTargetId },
          data: { phase: 'diff', queried: r.extracted, unstagedUnchanged: r.unstagedUnchanged },
        });
        return { extracted: r.extracted, labelled: r.labelled, merged: r.merged, objectUpsert, firstSync: r.firstSync, committedRows: r.committedRows };
      });
    },

    async diffTarget(input: {
      runTargetId: string;
      objectUpsert: boolean;
      labelled: boolean;
      merged?: boolean;
      deletesConfirmed: boolean;
      committedRows?: number | null;
      maxBatchSize?: number;
    }): Promise<DiffResult> {
      return guard(async () => {
        const e = engine(deps);
        const hb = heartbeater();
        const t = await loadTarget(e, input.runTargetId, hb.signal);
        const r = await hb.around(() => ({ phase: 'diff' }), () => diff(e, t, { ...input, batchSize: batchSizeOf(t, input.maxBatchSize) }));
        await e.db.runTarget.update({
          where: { id: t.runTargetId },
          data: {
            phase: 'deliver',
            invalid: r.invalid,
            unchanged: r.unchanged,
            added: r.added,
            changed: r.changed,
            removed: r.removed,
            batchesTotal: r.batches,
            heldDeletes: r.heldDeletes,
          },
        });
        return r;
      });
    },

    /**
     * Delivers `count` consecutive batches (default 1), one after another: a
     * few batches per activity spare a Temporal round trip per batch. Each
     * batch commits on its own, so a retry skips the ones already done.
     */
    async deliverBatch(input: { runTargetId: string; batchNo: number; count?: number; maxAttempts?: number }): Promise<BatchResult & { batches: number }> {
      return guard(async () => {
        const e = engine(deps);
        const hb = heartbeater();
        const t = await loadTarget(e, input.runTargetId, hb.signal);
        const total: BatchResult & { batches: number } = { batchNo: input.batchNo, staged: 0, accepted: 0, rejected: 0, exhausted: 0, skipped: 0, batches: 0 };
        let last: unknown = { batchNo: input.batchNo };
        for (let batchNo = input.batchNo; batchNo < input.batchNo + (input.count ?? 1); batchNo++) {
          if (hb.signal.aborted) break;
          const r = await hb.around(
            () => last,
            () =>
              deliverBatch(e, t, batchNo, {
                signal: hb.signal,
                ...(input.maxAttempts ? { maxAttempts: input.maxAttempts } : {}),
                onProgress: (p) => {
                  last = p;
                  hb.beat(p);
                },
              }),
          );
          // Progress counters for the UI (finalize recomputes exact counts from staging).
          if (r.staged > 0) await e.pool.query(
            `UPDATE "RunTarget" SET "batchesDone" = "batchesDone" + 1, accepted = accepted + $2, rejected = rejected + $3, exhausted = exhausted + $4 WHERE id = $1`,
            [input.runTargetId, r.accepted, r.rejected, r.exhausted],
          );
          total.staged += r.staged;
          total.accepted += r.accepted;
          total.rejected += r.rejected;
          total.exhausted += r.exhausted;
          total.skipped += r.skipped;
          total.batches++;
        }
        return total;
      });
    },

    async releaseHeldDeletes(input: { runTargetId: string; maxBatchSize?: number }): Promise<{ batches: number }> {
      return guard(async () => {
        const e = engine(deps);
        const t = await loadTarget(e, input.runTargetId);
        const batches = await releaseHeldDeletes(e, input.runTargetId, batchSizeOf(t, input.maxBatchSize));
        await e.db.runTarget.update({ where: { id: input.runTargetId }, data: { batchesTotal: batches, heldDeletes: 0 } });
        return { batches };
      });
    },

    async setRunStatus(input: { runId: string; status: 'running' | 'paused' | 'needs_confirmation'; reason?: string | null }): Promise<void> {
      await deps.db.run.update({
        where: { id: input.runId },
        data: { status: input.status, confirmationReason: input.status === 'needs_confirmation' ? (input.reason ?? null) : null },
      });
    },

    async finalizeTarget(input: FinalizeInput): Promise<FinalizeResult> {
      return guard(() => finalizeTarget(engine(deps), input));
    },

    async finalizeRun(input: { runId: string; error?: string; executions?: number }): Promise<{ status: string }> {
      return guard(() => finalizeRun(engine(deps), input.runId, input));
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
