/**
 * Bucket summaries: a sync target's committed bucket digests (buckets.ts),
 * kept in bucket_digests from one run to the next.
 *
 * An incremental run compares the warehouse's bucket digests with the
 * committed ones. Summing the committed row digests of a million rows took
 * PostgreSQL 1.3 s of CPU in every run, on the same two cores the warehouse
 * needed for its own side; reading a kept summary takes a tenth of that. A
 * summary must equal what merge.ts committedDigests returns, or a bucket whose
 * rows changed would look unchanged and its rows would not be sent. So it
 * passes from run to run, held by one run target at a time
 * (bucket_summaries.held_by):
 *
 *   extract   takes a 'ready' summary grouped by the bits the run wants
 *             (takeSummary) and reads it instead of summing sync_state. Any
 *             other summary is discarded, and the run holds an empty one for
 *             its finalize to build ('build'). The merge stages each changed
 *             and removed row with the committed row's bucket and digest.
 *   deliver   writes the sync_state rows of staged, labelled keys only: an
 *             accepted row's new bucket and digest are the staged ones (commit.ts
 *             stateValues), an accepted delete removes the row.
 *   finalize  applies those changes to the summary and makes it 'ready' again,
 *             or builds it from sync_state (settleSummary).
 *
 * A run that fails, is cancelled or dies before its finalize leaves its hold
 * behind, and the next run discards it. So does a run that refreshes committed
 * digests (merge.ts stale digests), which changes sync_state outside the
 * staged rows: its finalize builds a new summary. Whatever else changes
 * sync_state must discard the target's summary: resetting the state and
 * deleting the pipeline do. Only dialects that compare digests before merging
 * use summaries (sql-dialect.ts digestsFirst). With deps.verifySummaries
 * (the tests), finalize checks every settled summary against sync_state.
 */
import type pg from 'pg';
import { bucketBits, sqlBucketOf } from './buckets';
import { committedBucketAndDigest } from './commit';
import { copyOutLines, sqlText } from './merge';
import { stagingTable } from './staging';
import { EngineError } from './target';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export type SummaryPhase = 'ready' | 'held' | 'build';

/**
 * Takes the sync target's summary for this run target when it is ready and
 * grouped by `bits`. Otherwise discards any summary and holds an empty one for
 * finalize to build. True when taken.
 */
export async function takeSummary(pool: pg.Pool, syncTargetId: string, runTargetId: string, bits: number): Promise<boolean> {
  const taken = await pool.query(
    `UPDATE bucket_summaries SET held_by = $2, phase = 'held', updated_at = now()
     WHERE sync_target_id = $1 AND phase = 'ready' AND held_by IS NULL AND bits = $3`,
    [syncTargetId, runTargetId, bits],
  );
  if (taken.rowCount === 1) return true;
  await holdForBuild(pool, syncTargetId, runTargetId);
  return false;
}

/** Discards any summary of the target and has this run target's finalize build one from sync_state. */
export async function holdForBuild(pool: pg.Pool, syncTargetId: string, runTargetId: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO bucket_summaries (sync_target_id, bits, phase, held_by) VALUES ($1, 0, 'build', $2)
       ON CONFLICT (sync_target_id) DO UPDATE SET bits = 0, phase = 'build', held_by = $2, updated_at = now()`,
      [syncTargetId, runTargetId],
    );
    await client.query('DELETE FROM bucket_digests WHERE sync_target_id = $1', [syncTargetId]);
  });
}

/** Drops the target's summary and its digests (bucket_digests has no foreign key). */
export async function discardSummary(db: Queryable, syncTargetId: string): Promise<void> {
  await db.query('DELETE FROM bucket_summaries WHERE sync_target_id = $1', [syncTargetId]);
  await db.query('DELETE FROM bucket_digests WHERE sync_target_id = $1', [syncTargetId]);
}

/** A taken summary's digests as merge.ts committedDigests lines (`bucket:rows:tainted:sum`), ascending. */
export function summaryDigests(client: pg.PoolClient, syncTargetId: string): AsyncGenerator<string[]> {
  return copyOutLines(
    client,
    `COPY (SELECT bucket || ':' || rows || ':' || tainted || ':' || digest_sum FROM bucket_digests
       WHERE sync_target_id = ${sqlText(syncTargetId)} ORDER BY bucket) TO STDOUT`,
  );
}

/**
 * Null when the summary's totals (rows, rows without a digest, digest sum)
 * equal sync_state's for the target, else what differs. One scan of the
 * target's sync_state: for checking, not for every run.
 */
export async function summaryMismatch(db: Queryable, syncTargetId: string): Promise<string | null> {
  const r = await db.query<{ state: string; summary: string }>(
    `SELECT
       (SELECT count(*) || ' rows, ' || (count(*) - count(state_digest)) || ' without a digest, digest sum ' || coalesce(sum(state_digest), 0)
        FROM sync_state WHERE sync_target_id = $1) AS state,
       (SELECT coalesce(sum(rows), 0) || ' rows, ' || coalesce(sum(tainted), 0) || ' without a digest, digest sum ' || coalesce(sum(digest_sum), 0)
        FROM bucket_digests WHERE sync_target_id = $1) AS summary`,
    [syncTargetId],
  );
  const { state, summary } = r.rows[0]!;
  return state === summary ? null : `sync_state has ${state}; the summary has ${summary}`;
}

export type SettleOutcome = 'none' | 'updated' | 'built' | 'discarded';

/**
 * finalize: brings the summary this run target holds back in step with
 * sync_state, grouped by the bits the next run will want for `committedRows`
 * (buckets.ts committedEstimate). A held summary gets the run's accepted rows:
 * each one's committed row (staged by the merge) out, its new row in unless
 * it was deleted; the rows accepted are those countTarget counts (finalize.ts).
 * `settle` is false after a run that may not have finished writing (failed,
 * cancelled, staging lost): the summary is then discarded. With `verify`, a
 * summary updated or built is checked against sync_state (summaryMismatch);
 * a difference discards it and fails. Runs before the staging is dropped.
 */
export async function settleSummary(
  pool: pg.Pool,
  syncTargetId: string,
  runTargetId: string,
  opts: { settle: boolean; committedRows: number; verify?: boolean },
): Promise<SettleOutcome> {
  const outcome = await settle(pool, syncTargetId, runTargetId, opts);
  if (opts.verify && (outcome === 'updated' || outcome === 'built')) {
    const wrong = await summaryMismatch(pool, syncTargetId);
    if (wrong !== null) {
      await discardSummary(pool, syncTargetId);
      throw new EngineError(`run target ${runTargetId}: the bucket summary ${outcome} by finalize does not match sync_state (${wrong}) — this is a bug; report it`);
    }
  }
  return outcome;
}

async function settle(pool: pg.Pool, syncTargetId: string, runTargetId: string, opts: { settle: boolean; committedRows: number }): Promise<SettleOutcome> {
  return inTransaction(pool, async (client) => {
    const held = await client.query<{ phase: SummaryPhase; bits: number }>(
      'SELECT phase, bits FROM bucket_summaries WHERE sync_target_id = $1 AND held_by = $2 FOR UPDATE',
      [syncTargetId, runTargetId],
    );
    const summary = held.rows[0];
    if (!summary) return 'none';
    const bits = bucketBits(opts.committedRows);
    let outcome: SettleOutcome;
    if (!opts.settle) outcome = 'discarded';
    else if (summary.phase === 'held' && summary.bits === bits) outcome = (await applyRun(client, syncTargetId, runTargetId, bits)) ? 'updated' : 'discarded';
    else outcome = (await build(client, syncTargetId, bits)) ? 'built' : 'discarded';
    if (outcome === 'discarded') {
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await discardSummary(client, syncTargetId);
    } else {
      await client.query(`UPDATE bucket_summaries SET phase = 'ready', held_by = NULL, bits = $2, updated_at = now() WHERE sync_target_id = $1`, [syncTargetId, bits]);
    }
    return outcome;
  });
}

/**
 * Adds a run's accepted rows to a held summary. False when the result cannot
 * be right (a bucket with fewer than no rows, or a row without a bucket).
 */
async function applyRun(client: pg.PoolClient, syncTargetId: string, runTargetId: string, bits: number): Promise<boolean> {
  // What commit.ts wrote into sync_state for each row.
  const [newBucket, newDigest] = committedBucketAndDigest('r');
  const changed = await client.query<{ bucket: number | null; rows: number; tainted: number }>(
    `WITH accepted AS (
       SELECT r.* FROM ${stagingTable(runTargetId)} r
       LEFT JOIN run_batches b ON b.run_target_id = $2 AND b.batch_no = r.batch_no
       WHERE r.run_target_id = $2 AND r.label IS NOT NULL
         AND (r.outcome = 'accepted' OR (r.outcome IS NULL AND b.batch_no IS NOT NULL))),
     delta AS (
       SELECT ${sqlBucketOf('r.committed_bucket', bits)} AS bucket, -1 AS n, CASE WHEN r.committed_digest IS NULL THEN -1 ELSE 0 END AS t, -coalesce(r.committed_digest, 0)::numeric AS s
       FROM accepted r WHERE r.label IN ('changed', 'removed')
       UNION ALL
       SELECT ${sqlBucketOf(newBucket, bits)}, 1, 0, ${newDigest}::numeric
       FROM accepted r WHERE r.op IS DISTINCT FROM 'delete' AND r.op IS DISTINCT FROM 'remove'),
     per_bucket AS (SELECT bucket, sum(n)::int AS n, sum(t)::int AS t, sum(s) AS s FROM delta GROUP BY bucket)
     INSERT INTO bucket_digests (sync_target_id, bucket, rows, tainted, digest_sum)
     SELECT $1, coalesce(bucket, -1), n, t, s FROM per_bucket WHERE n <> 0 OR t <> 0 OR s <> 0
     ON CONFLICT (sync_target_id, bucket) DO UPDATE SET
       rows = bucket_digests.rows + EXCLUDED.rows, tainted = bucket_digests.tainted + EXCLUDED.tainted,
       digest_sum = bucket_digests.digest_sum + EXCLUDED.digest_sum
     RETURNING bucket, rows, tainted`,
    [syncTargetId, runTargetId],
  );
  if (changed.rows.some((b) => b.bucket === -1 || b.rows < 0 || b.tainted < 0 || b.tainted > b.rows)) return false;
  const emptied = changed.rows.filter((b) => b.rows === 0).map((b) => b.bucket);
  if (emptied.length) {
    await client.query('DELETE FROM bucket_digests WHERE sync_target_id = $1 AND bucket = ANY($2::int[]) AND rows = 0', [syncTargetId, emptied]);
  }
  return true;
}

/** Sums sync_state into the summary. False when committed rows have no bucket (every run then merges all rows). */
async function build(client: pg.PoolClient, syncTargetId: string, bits: number): Promise<boolean> {
  await client.query('DELETE FROM bucket_digests WHERE sync_target_id = $1', [syncTargetId]);
  // A sort and a group aggregate: with the default work_mem the hash aggregate
  // spilled, and took 8.2 s against 6.4 s over 5M committed rows (1M: the same).
  await client.query('SET LOCAL enable_hashagg = off');
  const built = await client.query<{ unbucketed: number }>(
    `WITH d AS (
       SELECT ${sqlBucketOf('key_bucket', bits)} AS bucket, count(*) AS n, count(*) - count(state_digest) AS t, coalesce(sum(state_digest), 0) AS s
       FROM sync_state WHERE sync_target_id = $1 GROUP BY 1),
     ins AS (INSERT INTO bucket_digests (sync_target_id, bucket, rows, tainted, digest_sum) SELECT $1, bucket, n, t, s FROM d WHERE bucket IS NOT NULL)
     SELECT count(*) FILTER (WHERE bucket IS NULL)::int AS unbucketed FROM d`,
    [syncTargetId],
  );
  return built.rows[0]!.unbucketed === 0;
}

async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
