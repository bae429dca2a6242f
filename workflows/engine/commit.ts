/**
 * commit: record the outcome of delivered rows and advance the committed sync
 * state in ONE transaction. Committed state advances only for rows the
 * destination accepted; rejected rows keep their reason, stay out of
 * sync_state, and therefore come back in the next run's diff.
 */
import type { Operation } from '../../connectors/sdk/types';
import { sqlKeyBucket, sqlRowDigest } from './buckets';
import { splitDigestToken, type StaleDigest } from './merge';
import type { EngineDeps, LoadedTarget } from './target';
import { stagingTable } from './staging';

export type FinalOutcome = 'accepted' | 'rejected' | 'exhausted' | 'skipped';
export type RowOutcome = FinalOutcome | 'retryable' | 'unknown';

export type OutcomeRow = {
  recordKey: string;
  op: Operation;
  outcome: RowOutcome;
  externalId?: string | null;
  error?: string | null;
  field?: string | null;
  /** Only for final failures: an excerpt of what was sent, for the run's error list. */
  payloadExcerpt?: string | null;
};

const EXCERPT_CHARS = 500;

export function excerpt(payload: unknown): string | null {
  if (payload === null || payload === undefined) return null;
  const s = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return s.length > EXCERPT_CHARS ? `${s.slice(0, EXCERPT_CHARS)}…` : s;
}

/** sync_state's columns as commits write them: the row, and its bucket and row digest (buckets.ts). */
const STATE_COLUMNS = 'sync_target_id, record_key, content_hash, match_value, external_id, payload, synced_at, last_run_id, key_bucket, state_digest';

/**
 * STATE_COLUMNS' values from a staged row `r`, given the SQL of the sync target
 * id and run id. Bucket and digest come from staging when the warehouse
 * computed them (keys, merge and payload queries), else PostgreSQL hashes
 * here; on a source with native digests such a row's bucket differs once and
 * the next merge replaces them (merge.ts).
 */
function stateValues(syncTargetId: string, runId: string): string {
  const [bucket, digest] = committedBucketAndDigest('r');
  return `${syncTargetId}, r.record_key, r.content_hash, r.match_value, r.external_id, r.payload, now(), ${runId}, ${bucket}, ${digest}`;
}

/**
 * SQL of the key bucket and row digest a commit writes for the staged row
 * `r`: the staged ones, else PostgreSQL's md5 ones. The bucket summary adds
 * the same (bucket-summary.ts applyRun).
 */
export function committedBucketAndDigest(r: string): [bucket: string, digest: string] {
  return [
    `coalesce(${r}.key_bucket, ${sqlKeyBucket('postgres', `${r}.record_key`)})`,
    `coalesce(${r}.state_digest, ${sqlRowDigest('postgres', `${r}.record_key`, `${r}.content_hash`)})`,
  ];
}

const ON_CONFLICT_UPDATE = `ON CONFLICT (sync_target_id, record_key) DO UPDATE SET
  content_hash = EXCLUDED.content_hash, match_value = EXCLUDED.match_value,
  external_id = coalesce(EXCLUDED.external_id, sync_state.external_id),
  payload = EXCLUDED.payload, synced_at = EXCLUDED.synced_at, last_run_id = EXCLUDED.last_run_id,
  key_bucket = EXCLUDED.key_bucket, state_digest = EXCLUDED.state_digest`;

/**
 * Fast path for the common case: every row of the batch was accepted in one
 * round and no external ids came back. Marks the batch done (rows without an
 * outcome in a done batch count as accepted) and copies the rows into
 * sync_state, without touching each staged row.
 */
export async function commitWholeBatch(
  deps: EngineDeps,
  t: LoadedTarget,
  batchNo: number,
  op: Operation,
  recordKeys: string[],
  usedIntents: boolean,
  /** Every row was labelled 'added' (not in sync_state at diff time): try a plain INSERT first. */
  allNew = false,
): Promise<void> {
  const client = await deps.pool.connect();
  try {
    await client.query('BEGIN');
    if (op === 'delete' || op === 'remove') {
      // By key list, not by a join with staging: right after a big sync the
      // planner's statistics for sync_state lag, and a join it thinks is tiny
      // becomes a scan of sync_state per staged row.
      await client.query(`DELETE FROM sync_state WHERE sync_target_id = $1 AND record_key = ANY($2::text[])`, [t.syncTargetId, recordKeys]);
    } else {
      const insert = `INSERT INTO sync_state (${STATE_COLUMNS})
         SELECT ${stateValues('$1', '$4')}
         FROM ${stagingTable(t.runTargetId)} r WHERE r.run_target_id = $2 AND r.batch_no = $3 AND r.outcome IS NULL`;
      const params = [t.syncTargetId, t.runTargetId, batchNo, t.runId];
      const upsert = () =>
        client.query(
          `${insert}
           ${ON_CONFLICT_UPDATE}`,
          params,
        );
      if (allNew) {
        // New keys (a first sync) need no conflict handling, which costs about a
        // third of the insert. Should a key exist after all, the upsert runs.
        await client.query('SAVEPOINT plain_insert');
        try {
          await client.query(insert, params);
        } catch (err) {
          if ((err as { code?: string }).code !== '23505') throw err;
          await client.query('ROLLBACK TO SAVEPOINT plain_insert');
          await upsert();
        }
      } else {
        await upsert();
      }
    }
    if (usedIntents) {
      await client.query(`DELETE FROM delivery_intents WHERE sync_target_id = $1 AND record_key = ANY($2::text[])`, [t.syncTargetId, recordKeys]);
    }
    await client.query(`INSERT INTO run_batches (run_target_id, batch_no) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [t.runTargetId, batchNo]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

export async function markBatchDone(deps: EngineDeps, runTargetId: string, batchNo: number): Promise<void> {
  await deps.pool.query(`INSERT INTO run_batches (run_target_id, batch_no) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [runTargetId, batchNo]);
}

export async function commitOutcomes(deps: EngineDeps, t: LoadedTarget, batchNo: number, rows: OutcomeRow[]): Promise<void> {
  if (rows.length === 0) return;
  const client = await deps.pool.connect();
  try {
    await client.query('BEGIN');
    const keys = rows.map((r) => r.recordKey);
    await client.query(
      `UPDATE ${stagingTable(t.runTargetId)} r SET
         outcome = u.outcome,
         external_id = coalesce(u.external_id, r.external_id),
         error = u.error,
         field = u.field,
         attempts = r.attempts + 1
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(record_key, outcome, external_id, error, field)
       WHERE r.run_target_id = $1 AND r.batch_no = $2 AND r.record_key = u.record_key`,
      [t.runTargetId, batchNo, keys, rows.map((r) => r.outcome), rows.map((r) => r.externalId ?? null), rows.map((r) => r.error ?? null), rows.map((r) => r.field ?? null)],
    );

    const accepted = rows.filter((r) => r.outcome === 'accepted');
    const upserts = accepted.filter((r) => r.op !== 'delete' && r.op !== 'remove').map((r) => r.recordKey);
    const removals = accepted.filter((r) => r.op === 'delete' || r.op === 'remove').map((r) => r.recordKey);
    if (upserts.length) {
      await client.query(
        `INSERT INTO sync_state (${STATE_COLUMNS})
         SELECT ${stateValues('$1', '$4')}
         FROM ${stagingTable(t.runTargetId)} r WHERE r.run_target_id = $2 AND r.batch_no = $5 AND r.record_key = ANY($3::text[])
         ${ON_CONFLICT_UPDATE}`,
        [t.syncTargetId, t.runTargetId, upserts, t.runId, batchNo],
      );
    }
    if (removals.length) {
      await client.query(`DELETE FROM sync_state WHERE sync_target_id = $1 AND record_key = ANY($2::text[])`, [t.syncTargetId, removals]);
    }
    // Intents are needed only while an outcome is in doubt.
    const settled = rows.filter((r) => r.outcome !== 'retryable' && r.outcome !== 'unknown').map((r) => r.recordKey);
    if (settled.length) {
      await client.query(`DELETE FROM delivery_intents WHERE sync_target_id = $1 AND record_key = ANY($2::text[])`, [t.syncTargetId, settled]);
    }
    const failures = rows.filter((r) => r.outcome === 'rejected' || r.outcome === 'exhausted');
    if (failures.length) {
      await client.query(
        `INSERT INTO run_row_errors (run_id, run_target_id, record_key, op, kind, reason, field, payload_excerpt)
         SELECT $1, $2, u.record_key, u.op, u.kind, u.reason, u.field, u.excerpt
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS u(record_key, op, kind, reason, field, excerpt)`,
        [
          t.runId,
          t.runTargetId,
          failures.map((r) => r.recordKey),
          failures.map((r) => r.op),
          failures.map((r) => r.outcome),
          failures.map((r) => r.error ?? 'rejected by the destination without a reason'),
          failures.map((r) => r.field ?? null),
          failures.map((r) => r.payloadExcerpt ?? null),
        ],
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Replaces committed buckets and row digests with the warehouse's for rows the merge found
 * unchanged (merge.ts, StaleDigest), where the committed content hash is still
 * the one compared. Only the bucket and digest change: what was sent stays as it was.
 */
export async function refreshDigests(deps: EngineDeps, syncTargetId: string, stale: readonly StaleDigest[]): Promise<void> {
  if (stale.length === 0) return;
  const tokens = stale.map((r) => splitDigestToken(r[2]));
  await deps.pool.query(
    `UPDATE sync_state s SET key_bucket = u.bucket, state_digest = u.digest
     FROM unnest($2::text[], $3::text[], $4::int[], $5::bigint[]) AS u(record_key, content_hash, bucket, digest)
     WHERE s.sync_target_id = $1 AND s.record_key = u.record_key AND s.content_hash = u.content_hash`,
    [syncTargetId, stale.map((r) => r[0]), stale.map((r) => r[1]), tokens.map((x) => x[0]), tokens.map((x) => x[1])],
  );
}

/** Writes pending intents BEFORE a non-idempotent create, in their own transaction. */
export async function writePendingIntents(
  deps: EngineDeps,
  t: LoadedTarget,
  rows: { recordKey: string; op: Operation; idempotencyKey: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await deps.pool.query(
    `INSERT INTO delivery_intents (sync_target_id, record_key, op, idempotency_key, state, run_id)
     SELECT $1, u.record_key, u.op, u.key, 'pending', $2 FROM unnest($3::text[], $4::text[], $5::text[]) AS u(record_key, op, key)
     ON CONFLICT (sync_target_id, record_key, op) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key, run_id = EXCLUDED.run_id, updated_at = now()`,
    [t.syncTargetId, t.runId, rows.map((r) => r.recordKey), rows.map((r) => r.op), rows.map((r) => r.idempotencyKey)],
  );
}

export async function pendingIntents(deps: EngineDeps, t: LoadedTarget, keys: string[], op: Operation): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const r = await deps.pool.query<{ record_key: string }>(
    `SELECT record_key FROM delivery_intents WHERE sync_target_id = $1 AND op = $2 AND state = 'pending' AND record_key = ANY($3::text[])`,
    [t.syncTargetId, op, keys],
  );
  return new Set(r.rows.map((x) => x.record_key));
}
