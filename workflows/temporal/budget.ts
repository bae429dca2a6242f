/**
 * How a run's delivery is cut into activities and executions: workflow code
 * (pure and deterministic), in its own module so it can be tested without
 * Temporal.
 *
 * History stays bounded because every execution schedules the same number of
 * deliver activities, whatever the row count: about ROWS_PER_EXECUTION rows'
 * worth of batches, grouped into activities of about GROUP_ROWS rows (at most
 * MAX_GROUP batches, so small-batch APIs still report progress often).
 *
 * Long runs keep that number of activities per execution but make each one
 * bigger, so that the run takes about TARGET_EXECUTIONS executions. Temporal
 * delays the first workflow task of a run that continued as new less than a
 * second after it started (the server's `history.continueAsNewMinInterval`,
 * there to stop continue-as-new loops); against a fast destination 100,000
 * rows take less than that, and on one 2-core host every other execution of a
 * 1M-row sync sat idle for a second, about a third of the full sync.
 */
const ROWS_PER_EXECUTION = 100_000;
const GROUP_ROWS = 40_000;
const MAX_GROUP = 8;
/** A long run's deliveries take about this many executions... */
const TARGET_EXECUTIONS = 3;
/** ...unless its activities would hold more rows than this. */
const MAX_ACTIVITY_ROWS = 250_000;

export type BudgetSettings = {
  rowsPerExecution?: number | undefined;
  batchesPerExecution?: number | undefined;
  batchesPerActivity?: number | undefined;
};

export type DeliveryBudget = {
  /** Consecutive batches one deliver activity delivers. */
  perActivity: number;
  /** Batches one execution schedules before it continues as new. */
  perExecution: number;
};

/**
 * The budget for a target of `totalBatches` batches of `batchSize` rows. An
 * explicit batchesPerExecution or batchesPerActivity (tests, tuning) is taken
 * as given, without growing for long runs.
 */
export function deliveryBudget(batchSize: number, totalBatches: number, settings: BudgetSettings = {}): DeliveryBudget {
  const size = Math.max(1, batchSize);
  const perExecution = settings.batchesPerExecution ?? Math.max(1, Math.floor((settings.rowsPerExecution ?? ROWS_PER_EXECUTION) / size));
  const perActivity = settings.batchesPerActivity ?? Math.max(1, Math.min(MAX_GROUP, Math.floor(GROUP_ROWS / size)));
  if (settings.batchesPerExecution !== undefined || settings.batchesPerActivity !== undefined) return { perActivity, perExecution };
  const activities = Math.ceil(perExecution / perActivity);
  const maxScale = Math.max(1, Math.floor(MAX_ACTIVITY_ROWS / (perActivity * size)));
  const scale = Math.min(maxScale, Math.max(1, Math.ceil(totalBatches / (perExecution * TARGET_EXECUTIONS))));
  if (scale === 1) return { perActivity, perExecution };
  // The same number of activities per execution at every scale, as even as the batches allow.
  const grown = perExecution * scale;
  return { perActivity: Math.ceil(grown / activities), perExecution: grown };
}
