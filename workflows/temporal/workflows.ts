/**
 * Workflow code: deterministic, bundled by the worker, no I/O. It interprets a
 * pinned plan by id (samples-typescript `dsl-interpreter`): every step is an
 * activity that takes and returns ids, counts and cursors, never rows.
 *
 *   pin → per destination path, concurrently:
 *         extract → diff → deliver batches (bounded concurrency)
 *         → [mirror safety: wait for confirmation] → finalize
 *       → finalize run
 *
 * Each execution schedules the same number of deliver activities (budget.ts),
 * then continues as new with its cursors, so every execution's history is
 * bounded by the same number whatever the row count. The workflow id is the
 * run id.
 *
 * Signals: cancel (which also stops the deliveries in flight), pause, resume,
 * confirmDeletes, skipDeletes. Query: progress.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  type ActivityOptions,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from './activities';
import { activityBatches, deliveryBudget, nextScale } from './budget';

export type SyncSettings = {
  /** Batches in flight per destination path. */
  concurrency?: number;
  /**
   * Rows per execution before continue-as-new (default 100,000): the batch
   * budget is this divided by the batch size, so history stays bounded for any
   * row count and any destination batch size. It grows, and activities with
   * it, when an execution's deliveries took less than minExecutionMs (budget.ts).
   */
  rowsPerExecution?: number;
  /** Overrides the budget derived from rowsPerExecution; it then never grows. */
  batchesPerExecution?: number;
  /** How long an execution's deliveries should last at least before budgets grow (budget.ts; default 2 s). */
  minExecutionMs?: number;
  heartbeatTimeoutMs?: number;
  /** How long held mirror deletes wait for a decision. */
  confirmTimeoutMs?: number;
  /** Write rounds per batch before rows are reported exhausted. */
  maxAttempts?: number;
  /** Smaller batches than the destination allows (tuning and tests). */
  maxBatchSize?: number;
  /** Batches per deliver activity (default: about 40,000 rows, at most 8 batches, more when the budget grows: budget.ts). */
  batchesPerActivity?: number;
};

export type TargetPhase = 'extract' | 'diff' | 'deliver' | 'confirm' | 'finalize' | 'done';

export type TargetState = {
  runTargetId: string;
  nodeId: string;
  phase: TargetPhase;
  objectUpsert: boolean;
  labelled: boolean;
  /** The extract's streaming merge staged only the rows that need work. */
  merged?: boolean;
  /** Committed rows the extract counted (null when it did not), for diff's mirror safety check. */
  committedRows?: number | null;
  extracted: number;
  batches: number;
  /** Rows per batch for this target (known after diff). */
  batchSize: number;
  /** How much this execution's delivery budget grows (budget.ts nextScale); 1 when absent. */
  budgetScale?: number;
  nextBatch: number;
  batchesDone: number;
  accepted: number;
  rejected: number;
  exhausted: number;
  held: number;
  heldReason: string | null;
  fatal: string | null;
  skipReason: string | null;
  status: string | null;
};

export type SyncState = {
  runId: string;
  versionId: string;
  targets: TargetState[];
  executions: number;
  startedAt: number;
  paused: boolean;
  cancelled: boolean;
  deletesDecision: 'confirm' | 'skip' | null;
};

export type SyncInput = {
  pipelineId: string;
  versionId?: string;
  trigger: string;
  requestedById?: string;
  settings?: SyncSettings;
  /** Carried across continue-as-new. */
  state?: SyncState;
};

export type SyncProgress = {
  runId: string;
  paused: boolean;
  cancelled: boolean;
  executions: number;
  targets: Pick<TargetState, 'nodeId' | 'phase' | 'extracted' | 'batches' | 'batchesDone' | 'accepted' | 'rejected' | 'exhausted' | 'held' | 'heldReason' | 'fatal' | 'status'>[];
  rowsPerSecond: number;
  etaSeconds: number | null;
};

export type SyncResult = { runId: string; status: string; executions: number };

/** Patch id (Temporal versioning) of the budget that grows when executions are short. */
const GROWN_BUDGET = 'delivery-budget-grows';
/**
 * A cancel stops the deliver activities in flight (executions recorded before
 * this replay without it). Asked for only when a cancel finds deliveries in
 * flight, so other executions' histories carry no marker.
 */
const CANCEL_DELIVERIES = 'cancel-deliveries-in-flight';

export const cancelSignal = defineSignal('cancel');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const confirmDeletesSignal = defineSignal('confirmDeletes');
export const skipDeletesSignal = defineSignal('skipDeletes');
export const progressQuery = defineQuery<SyncProgress>('progress');

const { ping } = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 } });

/** Round trip through server → worker → database; used by doctor and tests. */
export async function healthCheckWorkflow(): Promise<Awaited<ReturnType<Activities['ping']>>> {
  return ping();
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return failureMessage(err.cause);
  if (err instanceof ApplicationFailure) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export async function syncPipelineWorkflow(input: SyncInput): Promise<SyncResult> {
  const settings = {
    concurrency: input.settings?.concurrency ?? 4,
    heartbeatTimeoutMs: input.settings?.heartbeatTimeoutMs ?? 60_000,
    confirmTimeoutMs: input.settings?.confirmTimeoutMs ?? 24 * 3600_000,
    maxAttempts: input.settings?.maxAttempts,
  };
  const short = proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: ['EngineError'] },
  });
  const longOptions: ActivityOptions = {
    startToCloseTimeout: '4 hours',
    heartbeatTimeout: settings.heartbeatTimeoutMs,
    retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: ['EngineError'] },
  };
  const long = proxyActivities<Activities>(longOptions);
  // Deliveries stop when the run is cancelled: the activity hears of it at its
  // next heartbeat (worker.ts maxHeartbeatThrottleInterval), sends no further
  // round or batch, and the workflow waits for it to stop before finalizing.
  const deliveries = proxyActivities<Activities>({ ...longOptions, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED });

  const runId = workflowInfo().workflowId;
  const batchCap = input.settings?.maxBatchSize ? { maxBatchSize: input.settings.maxBatchSize } : {};
  let state: SyncState;
  if (input.state) {
    state = input.state;
    state.executions += 1;
  } else {
    const pinned = await short.pinRun({
      runId,
      pipelineId: input.pipelineId,
      trigger: input.trigger,
      ...(input.versionId ? { versionId: input.versionId } : {}),
      ...(input.requestedById ? { requestedById: input.requestedById } : {}),
    });
    if (!pinned.ok) return { runId, status: 'failed', executions: 1 };
    state = {
      runId,
      versionId: pinned.versionId,
      executions: 1,
      startedAt: Date.now(),
      paused: false,
      cancelled: false,
      deletesDecision: null,
      targets: pinned.targets.map((t) => ({
        runTargetId: t.runTargetId,
        nodeId: t.nodeId,
        phase: 'extract',
        objectUpsert: true,
        labelled: false,
        extracted: 0,
        batches: 0,
        batchSize: 0,
        nextBatch: 0,
        batchesDone: 0,
        accepted: 0,
        rejected: 0,
        exhausted: 0,
        held: 0,
        heldReason: null,
        fatal: null,
        skipReason: null,
        status: null,
      })),
    };
  }
  const s = state;

  /** One scope per target delivering now; a cancel cancels them. */
  const deliveryScopes = new Set<CancellationScope>();
  setHandler(cancelSignal, () => {
    s.cancelled = true;
    if (deliveryScopes.size > 0 && patched(CANCEL_DELIVERIES)) for (const scope of deliveryScopes) scope.cancel();
  });
  setHandler(pauseSignal, () => {
    s.paused = true;
  });
  setHandler(resumeSignal, () => {
    s.paused = false;
  });
  setHandler(confirmDeletesSignal, () => {
    s.deletesDecision = 'confirm';
  });
  setHandler(skipDeletesSignal, () => {
    s.deletesDecision = 'skip';
  });
  setHandler(progressQuery, () => {
    const elapsed = Math.max(1, (Date.now() - s.startedAt) / 1000);
    const rows = s.targets.reduce((n, t) => n + t.accepted + t.rejected + t.exhausted, 0);
    const done = s.targets.reduce((n, t) => n + t.batchesDone, 0);
    const total = s.targets.reduce((n, t) => n + t.batches, 0);
    const perBatch = done > 0 ? elapsed / done : null;
    return {
      runId: s.runId,
      paused: s.paused,
      cancelled: s.cancelled,
      executions: s.executions,
      targets: s.targets.map(({ nodeId, phase, extracted, batches, batchesDone, accepted, rejected, exhausted, held, heldReason, fatal, status }) => ({
        nodeId, phase, extracted, batches, batchesDone, accepted, rejected, exhausted, held, heldReason, fatal, status,
      })),
      rowsPerSecond: Math.round(rows / elapsed),
      etaSeconds: perBatch === null ? null : Math.round(perBatch * Math.max(0, total - done)),
    };
  });

  // Per target, this execution's delivery so far: batches and deliver activities
  // scheduled, and the workflow time of the first. When the batch budget is
  // spent, the execution ends and continues as new with every target's cursor.
  const scheduledHere = new Map<string, { batches: number; activities: number; startedAt: number }>();
  // Executions recorded before budgets could grow replay with the fixed one.
  const budgetOf = (t: TargetState) => deliveryBudget(t.batchSize, patched(GROWN_BUDGET) ? (t.budgetScale ?? 1) : 1, input.settings);
  const budgetLeft = (t: TargetState) => budgetOf(t).perExecution - (scheduledHere.get(t.runTargetId)?.batches ?? 0);
  let mustContinue = false;
  let pausedReported = false;

  async function waitWhilePaused(): Promise<void> {
    if (!s.paused || s.cancelled) return;
    if (!pausedReported) {
      pausedReported = true;
      await short.setRunStatus({ runId, status: 'paused' });
    }
    await condition(() => !s.paused || s.cancelled);
    if (pausedReported) {
      pausedReported = false;
      await short.setRunStatus({ runId, status: 'running' });
    }
  }

  /** 'yield' when batches are left for the next execution, 'spent' when none are but the budget is. */
  async function deliverAll(t: TargetState): Promise<'done' | 'spent' | 'yield'> {
    const scope = new CancellationScope();
    deliveryScopes.add(scope);
    try {
      return await deliverIn(scope, t);
    } finally {
      deliveryScopes.delete(scope);
    }
  }

  async function deliverIn(scope: CancellationScope, t: TargetState): Promise<'done' | 'spent' | 'yield'> {
    const inFlight = new Set<Promise<void>>();
    let failure: unknown = null;
    while (t.nextBatch < t.batches && !s.cancelled && failure === null) {
      await waitWhilePaused();
      if (s.cancelled) break;
      if (budgetLeft(t) <= 0) {
        mustContinue = true;
        break;
      }
      if (inFlight.size >= settings.concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      const batchNo = t.nextBatch;
      const here = scheduledHere.get(t.runTargetId) ?? { batches: 0, activities: 0, startedAt: Date.now() };
      const count = activityBatches(budgetOf(t), Math.min(t.batches - t.nextBatch, budgetLeft(t)), here.activities);
      t.nextBatch += count;
      scheduledHere.set(t.runTargetId, { batches: here.batches + count, activities: here.activities + 1, startedAt: here.startedAt });
      const p: Promise<void> = scope
        .run(() => deliveries.deliverBatch({ runTargetId: t.runTargetId, batchNo, count, ...(settings.maxAttempts ? { maxAttempts: settings.maxAttempts } : {}) }))
        .then((r) => {
          // A replayed batch (its first completion was lost) reports its committed counts too.
          t.batchesDone += r.batches;
          t.accepted += r.accepted;
          t.rejected += r.rejected;
          t.exhausted += r.exhausted;
        })
        .catch((err: unknown) => {
          // A delivery the cancel stopped is no failure: finalize reports its open rows as skipped.
          if (s.cancelled && isCancellation(err)) return;
          failure ??= err;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    if (failure !== null) throw failure;
    const spentAll = budgetLeft(t) <= 0;
    // A spent budget: the next execution's is sized by how fast this one's went (budget.ts).
    const here = scheduledHere.get(t.runTargetId);
    if (spentAll && here !== undefined && patched(GROWN_BUDGET)) {
      t.budgetScale = nextScale(t.batchSize, { batches: here.batches, ms: Date.now() - here.startedAt }, input.settings);
    }
    if (t.nextBatch < t.batches && !s.cancelled) return 'yield';
    return spentAll ? 'spent' : 'done';
  }

  async function runTarget(t: TargetState): Promise<void> {
    try {
      if (t.phase === 'extract') {
        if (s.cancelled) t.phase = 'finalize';
        else {
          const r = await long.extractTarget({ runTargetId: t.runTargetId, ...batchCap });
          t.extracted = r.extracted;
          t.objectUpsert = r.objectUpsert;
          t.labelled = r.labelled;
          t.merged = r.merged;
          t.committedRows = r.committedRows ?? null;
          t.phase = 'diff';
        }
      }
      if (t.phase === 'diff') {
        if (s.cancelled) t.phase = 'finalize';
        else {
          const d = await long.diffTarget({ runTargetId: t.runTargetId, objectUpsert: t.objectUpsert, labelled: t.labelled, merged: t.merged ?? false, deletesConfirmed: false, committedRows: t.committedRows ?? null, ...batchCap });
          t.batches = d.batches;
          t.batchSize = d.batchSize;
          t.held = d.heldDeletes;
          t.heldReason = d.heldReason;
          t.phase = 'deliver';
        }
      }
      while (t.phase === 'deliver' || t.phase === 'confirm') {
        if (t.phase === 'deliver') {
          const delivered = await deliverAll(t);
          if (delivered === 'yield') return;
          t.phase = t.held > 0 && !s.cancelled ? 'confirm' : 'finalize';
          // A spent budget ends the execution even when delivery is complete, so no
          // execution ever holds more than a budget's worth of events.
          if (delivered === 'spent' && !s.cancelled) {
            mustContinue = true;
            return;
          }
        }
        if (t.phase === 'confirm') {
          await short.setRunStatus({ runId, status: 'needs_confirmation', reason: t.heldReason });
          const decided = await condition(() => s.deletesDecision !== null || s.cancelled, settings.confirmTimeoutMs);
          await short.setRunStatus({ runId, status: 'running' });
          if (decided && s.deletesDecision === 'confirm' && !s.cancelled) {
            const r = await short.releaseHeldDeletes({ runTargetId: t.runTargetId, ...batchCap });
            t.batches = r.batches;
            t.held = 0;
            t.phase = 'deliver';
          } else {
            t.skipReason = s.cancelled
              ? 'the run was cancelled while deletions waited for confirmation'
              : `deletions were held (${t.heldReason ?? 'mirror safety'}) and ${decided ? 'skipped' : 'not confirmed in time'}`;
            t.phase = 'finalize';
          }
        }
      }
    } catch (err) {
      t.fatal = failureMessage(err);
      t.phase = 'finalize';
    }
    if (t.phase === 'finalize') {
      const r = await short.finalizeTarget({
        runTargetId: t.runTargetId,
        ...(t.fatal ? { fatal: t.fatal } : {}),
        ...(t.skipReason ? { skipReason: t.skipReason } : {}),
        ...(s.cancelled ? { cancelled: true } : {}),
      });
      t.status = r.status;
      t.phase = 'done';
    }
  }

  await Promise.all(s.targets.map((t) => runTarget(t)));

  if (mustContinue && s.targets.some((t) => t.phase !== 'done')) {
    // Signals that arrived during this execution are carried in `state`.
    await continueAsNew<typeof syncPipelineWorkflow>({ ...input, state: s });
  }
  const result = await short.finalizeRun({ runId, executions: s.executions });
  return { runId, status: result.status, executions: s.executions };
}
