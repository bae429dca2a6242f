/**
 * How a run's delivery is cut into activities and executions: workflow code
 * (pure and deterministic), in its own module so it can be tested without
 * Temporal.
 *
 * History stays bounded because every execution schedules the same number of
 * deliver activities, whatever the row count: about ROWS_PER_EXECUTION rows'
 * worth of batches, grouped into activities of about GROUP_ROWS rows (at most
 * MAX_GROUP batches, so small-batch APIs still report progress often, and a
 * pause or cancel takes effect soon).
 *
 * Executions must not be short, though. Temporal holds back the first
 * workflow task of a run that continued as new less than a second after it
 * started (the server's `history.continueAsNewMinInterval`, a guard against
 * continue-as-new loops). Against a fast destination 100,000 rows take less
 * than that: on one 2-core host every other execution of a 1M-row sync sat
 * idle for a second, about a third of the full sync. So when an execution's
 * deliveries ran faster than MIN_EXECUTION_MS for its budget, the next
 * execution scales its budget up (nextScale): the same number of activities,
 * each bigger (up to MAX_ACTIVITY_ROWS rows). Slow destinations never scale.
 */
const ROWS_PER_EXECUTION = 100_000;
const GROUP_ROWS = 40_000;
const MAX_GROUP = 8;
/** How long an execution's deliveries should take at least: twice Temporal's default interval. */
export const MIN_EXECUTION_MS = 2_000;
/** A scaled activity holds at most this many rows. */
const MAX_ACTIVITY_ROWS = 250_000;

export type BudgetSettings = {
  rowsPerExecution?: number | undefined;
  batchesPerExecution?: number | undefined;
  batchesPerActivity?: number | undefined;
  minExecutionMs?: number | undefined;
};

export type DeliveryBudget = {
  /** Consecutive batches one deliver activity delivers at most. */
  perActivity: number;
  /** Batches one execution schedules before it continues as new. */
  perExecution: number;
  /** Deliver activities per execution: the same at every scale. */
  activities: number;
  /** The unscaled perActivity: no activity is cut smaller to even out the last ones. */
  minPerActivity: number;
};

function base(batchSize: number, settings: BudgetSettings) {
  const size = Math.max(1, batchSize);
  const perExecution = settings.batchesPerExecution ?? Math.max(1, Math.floor((settings.rowsPerExecution ?? ROWS_PER_EXECUTION) / size));
  const perActivity = settings.batchesPerActivity ?? Math.max(1, Math.min(MAX_GROUP, Math.floor(GROUP_ROWS / size)));
  // Explicit batch counts (tests, tuning) are taken as given.
  const fixed = settings.batchesPerExecution !== undefined || settings.batchesPerActivity !== undefined;
  const maxScale = fixed ? 1 : Math.max(1, Math.floor(MAX_ACTIVITY_ROWS / (perActivity * size)));
  return { perExecution, perActivity, maxScale };
}

/** The budget for batches of `batchSize` rows at `scale` (1 unless nextScale said otherwise). */
export function deliveryBudget(batchSize: number, scale: number, settings: BudgetSettings = {}): DeliveryBudget {
  const b = base(batchSize, settings);
  const activities = Math.ceil(b.perExecution / b.perActivity);
  const s = Math.min(b.maxScale, Math.max(1, Math.floor(scale)));
  if (s === 1) return { perActivity: b.perActivity, perExecution: b.perExecution, activities, minPerActivity: b.perActivity };
  const grown = b.perExecution * s;
  return { perActivity: Math.ceil(grown / activities), perExecution: grown, activities, minPerActivity: b.perActivity };
}

/**
 * The scale for the next execution, from how long this one's deliveries took
 * (`ms` of workflow time for `batches` batches): large enough that the next
 * execution's budget takes at least minExecutionMs at that pace.
 */
export function nextScale(batchSize: number, delivered: { batches: number; ms: number }, settings: BudgetSettings = {}): number {
  const b = base(batchSize, settings);
  if (b.maxScale === 1 || delivered.batches <= 0) return 1;
  const msPerBatch = Math.max(1, delivered.ms) / delivered.batches;
  const wanted = Math.ceil((settings.minExecutionMs ?? MIN_EXECUTION_MS) / (msPerBatch * b.perExecution));
  return Math.min(b.maxScale, Math.max(1, wanted));
}

/**
 * Batches for the next deliver activity of an execution that has `left`
 * batches still to schedule and has scheduled `scheduled` activities: the
 * budget's size, or an even share of what is left over the activities left,
 * so the last execution of a scaled run still delivers in parallel.
 */
export function activityBatches(budget: DeliveryBudget, left: number, scheduled: number): number {
  const share = Math.ceil(left / Math.max(1, budget.activities - scheduled));
  return Math.max(0, Math.min(budget.perActivity, left, Math.max(budget.minPerActivity, share)));
}
