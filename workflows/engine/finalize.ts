/**
 * finalize: close a run target. Rows that never reached a final outcome are
 * marked skipped (with the reason), counts are computed in SQL from staging and
 * must balance, invalid rows are reported, and staged payloads (personal data)
 * are purged.
 *
 *   queried = invalid + unchanged + added + changed + removed
 *             (queried counts the extracted rows plus the committed rows that
 *              disappeared from the extract, i.e. every staged row, plus the
 *              unchanged rows an incremental merge counted without staging)
 *   added + changed + removed = accepted + rejected + exhausted + skipped
 */
import { settleSummary } from './bucket-summary';
import { committedEstimate } from './buckets';
import { dropStaging, ensureStaging, stagingTable, sweepStaging } from './staging';
import type { EngineDeps } from './target';

export type TargetCounts = {
  queried: number;
  invalid: number;
  unchanged: number;
  added: number;
  changed: number;
  removed: number;
  accepted: number;
  rejected: number;
  exhausted: number;
  skipped: number;
};

export class CountsDoNotBalance extends Error {}

export function checkBalance(c: TargetCounts): string | null {
  const left = c.invalid + c.unchanged + c.added + c.changed + c.removed;
  if (c.queried !== left) return `queried ${c.queried} ≠ invalid ${c.invalid} + unchanged ${c.unchanged} + added ${c.added} + changed ${c.changed} + removed ${c.removed}`;
  const sent = c.added + c.changed + c.removed;
  const done = c.accepted + c.rejected + c.exhausted + c.skipped;
  if (sent !== done) return `added + changed + removed = ${sent} ≠ accepted ${c.accepted} + rejected ${c.rejected} + exhausted ${c.exhausted} + skipped ${c.skipped} = ${done}`;
  return null;
}

/**
 * Counts from staging. Rows without an outcome in a done batch count as
 * accepted (commitWholeBatch's fast path), so rows are first aggregated per
 * batch and only those few aggregates meet run_batches. The bucket summary
 * takes the same rows as accepted (bucket-summary.ts applyRun).
 */
export async function countTarget(deps: EngineDeps, runTargetId: string): Promise<TargetCounts> {
  const r = await deps.pool.query<TargetCounts>(
    `WITH per_batch AS (
       SELECT r.batch_no,
         count(*) AS n,
         count(*) FILTER (WHERE r.invalid IS NOT NULL) AS invalid,
         count(*) FILTER (WHERE r.invalid IS NULL AND r.label IS NULL) AS unchanged,
         count(*) FILTER (WHERE r.label = 'added') AS added,
         count(*) FILTER (WHERE r.label = 'changed') AS changed,
         count(*) FILTER (WHERE r.label = 'removed') AS removed,
         count(*) FILTER (WHERE r.label IS NOT NULL AND r.outcome = 'accepted') AS accepted,
         count(*) FILTER (WHERE r.label IS NOT NULL AND r.outcome IS NULL) AS no_outcome,
         count(*) FILTER (WHERE r.label IS NOT NULL AND r.outcome = 'rejected') AS rejected,
         count(*) FILTER (WHERE r.label IS NOT NULL AND r.outcome = 'exhausted') AS exhausted,
         count(*) FILTER (WHERE r.label IS NOT NULL AND r.outcome = 'skipped') AS skipped
       FROM ${stagingTable(runTargetId)} r WHERE r.run_target_id = $1
       GROUP BY r.batch_no
     ),
     staged AS (
       SELECT
         coalesce(sum(p.n), 0) AS queried, coalesce(sum(p.invalid), 0) AS invalid, coalesce(sum(p.unchanged), 0) AS unchanged,
         coalesce(sum(p.added), 0) AS added, coalesce(sum(p.changed), 0) AS changed, coalesce(sum(p.removed), 0) AS removed,
         coalesce(sum(p.accepted + CASE WHEN b.batch_no IS NOT NULL THEN p.no_outcome ELSE 0 END), 0) AS accepted,
         coalesce(sum(p.rejected), 0) AS rejected, coalesce(sum(p.exhausted), 0) AS exhausted, coalesce(sum(p.skipped), 0) AS skipped
       FROM per_batch p LEFT JOIN run_batches b ON b.run_target_id = $1 AND b.batch_no = p.batch_no
     )
     SELECT
       (s.queried + t."unstagedUnchanged")::int AS queried, s.invalid::int AS invalid, (s.unchanged + t."unstagedUnchanged")::int AS unchanged,
       s.added::int AS added, s.changed::int AS changed, s.removed::int AS removed,
       s.accepted::int AS accepted, s.rejected::int AS rejected, s.exhausted::int AS exhausted, s.skipped::int AS skipped
     FROM staged s CROSS JOIN "RunTarget" t WHERE t.id = $1`,
    [runTargetId],
  );
  return r.rows[0]!;
}

export type FinalizeInput = {
  runTargetId: string;
  /** Rows the extract staged (RunTarget.queried before finalize); staging lost since is an error. */
  expectedExtracted?: number;
  /** Why undelivered rows were not delivered (cancel, fatal error, deletes not confirmed). */
  skipReason?: string;
  fatal?: string;
  cancelled?: boolean;
};

export type FinalizeResult = { counts: TargetCounts; status: 'succeeded' | 'partial' | 'failed' | 'cancelled' };

export async function finalizeTarget(deps: EngineDeps, input: FinalizeInput): Promise<FinalizeResult> {
  const rt = await deps.db.runTarget.findUniqueOrThrow({ where: { id: input.runTargetId } });
  // Idempotent: a finalized target keeps its recorded counts.
  if (rt.phase === 'done') {
    const counts: TargetCounts = {
      queried: rt.queried, invalid: rt.invalid, unchanged: rt.unchanged, added: rt.added, changed: rt.changed, removed: rt.removed,
      accepted: rt.accepted, rejected: rt.rejected, exhausted: rt.exhausted, skipped: rt.skipped,
    };
    return { counts, status: rt.status as FinalizeResult['status'] };
  }
  const reason = input.skipReason ?? input.fatal ?? (input.cancelled ? 'the run was cancelled' : 'not delivered');
  // A target that failed or was cancelled before its extract has no staging yet.
  await ensureStaging(deps.pool, input.runTargetId);
  // Rows still open live outside done batches: in no batch (invalid, skipped or
  // held rows) or in a batch that never completed. Reading them through the
  // batch index keeps a finalize after a million-row sync from scanning it.
  const open = await deps.pool.query<{ b: number[] }>(
    `SELECT coalesce(array_agg(g), '{}') AS b
     FROM generate_series(0, (SELECT coalesce(max(batch_no), -1) FROM ${stagingTable(input.runTargetId)} WHERE run_target_id = $1)) g
     WHERE NOT EXISTS (SELECT 1 FROM run_batches b WHERE b.run_target_id = $1 AND b.batch_no = g)`,
    [input.runTargetId],
  );
  const undone = open.rows[0]?.b ?? [];
  const OPEN_ROW = `(r.batch_no IS NULL OR r.batch_no = ANY($3::int[]))`;
  await deps.pool.query(
    `UPDATE ${stagingTable(input.runTargetId)} r SET outcome = 'skipped', error = coalesce(r.error || '; ', '') || $2
     WHERE r.run_target_id = $1 AND ${OPEN_ROW} AND r.label IS NOT NULL AND (r.outcome IS NULL OR r.outcome IN ('retryable', 'unknown', 'held'))`,
    [input.runTargetId, reason, undone],
  );
  await deps.pool.query(
    `INSERT INTO run_row_errors (run_id, run_target_id, record_key, op, kind, reason)
     SELECT $2, $1, coalesce(record_key, '(null)'), 'none', 'invalid',
       CASE invalid
         WHEN 'null_key' THEN 'the primary key is NULL — fix: filter out rows without a key, or pick another key column'
         WHEN 'null_match' THEN 'the match key value is NULL, so the record cannot be matched in the destination — fix: filter these rows out or map another match key'
         WHEN 'duplicate_key' THEN 'several rows share this primary key, so none of them was sent — fix: make the query return one row per key'
         WHEN 'duplicate_match' THEN 'several rows share this match key value, so none of them was sent — fix: deduplicate on the match key in the query'
         ELSE invalid END
     FROM ${stagingTable(input.runTargetId)} r WHERE r.run_target_id = $1 AND r.batch_no IS NULL AND r.invalid IS NOT NULL`,
    [input.runTargetId, rt.runId],
  );
  await deps.pool.query(
    `INSERT INTO run_row_errors (run_id, run_target_id, record_key, op, kind, reason)
     SELECT $2, $1, record_key, coalesce(op, 'none'), 'skipped', error
     FROM ${stagingTable(input.runTargetId)} r WHERE r.run_target_id = $1 AND ${OPEN_ROW} AND r.label IS NOT NULL AND r.outcome = 'skipped'`,
    [input.runTargetId, rt.runId, undone],
  );
  const counts = await countTarget(deps, input.runTargetId);
  // Staging is UNLOGGED: a database crash mid-run empties it. Say so instead of reporting an empty run.
  const extracted = counts.queried - counts.removed;
  const expected = input.expectedExtracted ?? (rt.phase !== 'extract' ? rt.queried : undefined);
  const lost =
    expected !== undefined && expected > 0 && extracted !== expected
      ? `staging lost: the extract staged ${expected} rows but ${extracted} remain (did the database restart?) — fix: run the pipeline again; rows not committed are re-sent`
      : null;
  const imbalance = lost ?? checkBalance(counts);
  const failedRows = counts.rejected + counts.exhausted;
  const status: FinalizeResult['status'] = imbalance || input.fatal ? 'failed' : input.cancelled ? 'cancelled' : failedRows || counts.skipped ? 'partial' : 'succeeded';
  const error = imbalance ? `run counts do not balance: ${imbalance}` : (input.fatal ?? null);
  // Before the staging goes: the bucket summary takes the run's accepted rows from it.
  // A run that may not have finished writing leaves no summary behind.
  await settleSummary(deps.pool, rt.syncTargetId, input.runTargetId, {
    settle: !imbalance && !input.fatal && !input.cancelled,
    committedRows: committedEstimate(counts),
    verify: deps.verifySummaries === true,
  });
  await deps.db.runTarget.update({
    where: { id: input.runTargetId },
    data: { ...counts, status, phase: 'done', finishedAt: new Date(), error },
  });
  // Staged payloads hold personal data: purge them now; errors keep short excerpts.
  await dropStaging(deps.pool, input.runTargetId);
  await refreshSyncStateStatistics(deps, counts.accepted);
  if (imbalance) throw new CountsDoNotBalance(`run target ${input.runTargetId}: ${error}`);
  return { counts, status };
}

/** A run that wrote more rows than this (plus a tenth of the table) refreshes sync_state's statistics: autovacuum's own threshold. */
const ANALYZE_BASE_ROWS = 1_000;
const ANALYZE_FRACTION = 0.1;

/**
 * Fresh planner statistics for sync_state after a run that wrote much of it
 * (a first sync), instead of waiting up to a minute for autovacuum: with stale
 * ones the next run's queries are planned for a handful of rows. The committed
 * digests of a million rows (merge.ts) then took twice as long (a bitmap scan
 * and a hash aggregate spilling to disk instead of a scan and a sort). The
 * rule compares the rows this run wrote with the table's size as last
 * analyzed, not with the statistics collector's change count, which trails
 * the commits and would ask again after the ANALYZE. Only the columns those
 * queries filter and group on are sampled, which takes about half the time of
 * a full ANALYZE. If autovacuum holds the table, it is refreshing the
 * statistics already, so a short lock wait gives up.
 */
export async function refreshSyncStateStatistics(deps: EngineDeps, rowsWritten: number): Promise<boolean> {
  // Most finalizes wrote nothing (a run with no changes): no catalog read for them.
  if (rowsWritten === 0) return false;
  const client = await deps.pool.connect();
  try {
    const size = await client.query<{ reltuples: number }>(`SELECT reltuples::float8 AS reltuples FROM pg_class WHERE oid = 'sync_state'::regclass`);
    const analyzed = size.rows[0]?.reltuples ?? -1;
    // reltuples is -1 until the table's first ANALYZE.
    if (analyzed >= 0 && rowsWritten <= ANALYZE_BASE_ROWS + ANALYZE_FRACTION * analyzed) return false;
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = '2s'`);
    await client.query('ANALYZE sync_state (sync_target_id, record_key, key_bucket)');
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    // 55P03: lock_not_available.
    if ((err as { code?: string }).code === '55P03') return false;
    throw err;
  } finally {
    client.release();
  }
}

/** Closes the run from its targets' statuses, releases its locks. */
export async function finalizeRun(deps: EngineDeps, runId: string, opts: { error?: string; executions?: number } = {}) {
  const targets = await deps.db.runTarget.findMany({ where: { runId } });
  const statuses = targets.map((t) => t.status);
  const status = opts.error
    ? 'failed'
    : statuses.includes('failed')
      ? statuses.every((s) => s === 'failed') ? 'failed' : 'partial'
      : statuses.includes('cancelled')
        ? 'cancelled'
        : statuses.includes('partial')
          ? 'partial'
          : 'succeeded';
  const errors = targets.filter((t) => t.error).map((t) => `${t.nodeId}: ${t.error}`);
  await deps.db.run.update({
    where: { id: runId },
    data: {
      status,
      finishedAt: new Date(),
      error: opts.error ?? (errors.length ? errors.join('; ') : null),
      confirmationReason: null,
      ...(opts.executions ? { executions: opts.executions } : {}),
    },
  });
  await deps.pool.query('DELETE FROM sync_locks WHERE run_id = $1', [runId]);
  // Row errors hold payload excerpts (personal data): keep them 30 days.
  await purgeOldErrors(deps);
  await sweepStaging(deps.pool);
  return { status };
}

/** Drops run row errors older than 30 days. */
export async function purgeOldErrors(deps: EngineDeps, days = 30): Promise<number> {
  const r = await deps.pool.query(`DELETE FROM run_row_errors WHERE created_at < now() - make_interval(days => $1)`, [days]);
  return r.rowCount ?? 0;
}
