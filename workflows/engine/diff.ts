/**
 * diff: compare staged keys and hashes with the committed sync state, in SQL.
 *
 *   added      valid row whose key is not in sync_state
 *   changed    valid row whose committed hash differs (not in insert mode)
 *   removed    committed key absent from the extract (mirror, add_remove)
 *   unchanged  everything else that is valid (label stays NULL)
 *
 * Then: payloads for labelled rows (second warehouse pass), one operation per
 * row, mirror safety, and batches that each hold one operation and fit the
 * destination's batch size.
 */
import type { DestinationCapabilities, ObjectDescriptor, Operation, SyncMode } from '../../connectors/sdk/types';
import { fetchPayloads } from './extract';
import { countTarget } from './finalize';
import { analyzeStaging, stagingTable } from './staging';
import type { EngineDeps, LoadedTarget } from './target';

export type DiffLabel = 'added' | 'changed' | 'removed';

/** The operation for a labelled row, or null when the mode ignores it. */
export function operationFor(mode: SyncMode, label: DiffLabel, objectUpsert: boolean): Operation | null {
  switch (mode) {
    case 'upsert':
    case 'mirror':
      if (label === 'removed') return mode === 'mirror' ? 'delete' : null;
      if (objectUpsert) return 'upsert';
      return label === 'added' ? 'create' : 'update';
    case 'update':
      return label === 'removed' ? null : 'update';
    case 'insert':
      return label === 'added' ? 'create' : null;
    case 'add_remove':
      return label === 'removed' ? 'remove' : 'add';
  }
}

/** Object-level upsert support: the descriptor's flag, else "records" destinations upsert by default. */
export function objectUpserts(object: ObjectDescriptor | undefined, caps: DestinationCapabilities): boolean {
  return object?.upsert ?? caps.writes !== 'records';
}

const OP_ORDER = `CASE op WHEN 'upsert' THEN 1 WHEN 'create' THEN 2 WHEN 'update' THEN 3 WHEN 'add' THEN 4 WHEN 'remove' THEN 5 WHEN 'delete' THEN 6 ELSE 7 END`;

export type DiffResult = {
  extracted: number;
  invalid: number;
  unchanged: number;
  added: number;
  changed: number;
  removed: number;
  /** Number of batches. */
  batches: number;
  /** Rows per batch. */
  batchSize: number;
  /** Mirror deletes held for confirmation (0 when none). */
  heldDeletes: number;
  heldReason: string | null;
};

export type DiffOptions = {
  objectUpsert: boolean;
  /** The extract already labelled every row (first sync, or merged). */
  labelled: boolean;
  /** The streaming merge staged removed rows too (merge.ts). */
  merged?: boolean;
  /** Deletes were confirmed for this run: never hold them. */
  deletesConfirmed: boolean;
  /** Rows per batch (the destination's batch size, or less). */
  batchSize: number;
  /** The sync target's committed rows, when the extract counted them (ExtractResult.committedRows). */
  committedRows?: number | null;
};

export async function diff(deps: EngineDeps, t: LoadedTarget, opts: DiffOptions): Promise<DiffResult> {
  const mode = t.path.destination.mode;
  const rt = t.runTargetId;
  const st = t.syncTargetId;
  const q = (sql: string, params: unknown[]) => deps.pool.query(sql, params);

  if (!opts.labelled) {
    await q(
      `WITH d AS (
         SELECT r.ctid AS rid, CASE WHEN s.record_key IS NULL THEN 'added' ELSE 'changed' END AS label, s.external_id
         FROM ${stagingTable(rt)} r LEFT JOIN sync_state s ON s.sync_target_id = $2 AND s.record_key = r.record_key
         WHERE r.run_target_id = $1 AND r.invalid IS NULL AND r.label IS NULL
           AND (s.record_key IS NULL OR ($3 AND s.content_hash IS DISTINCT FROM r.content_hash))
       )
       UPDATE ${stagingTable(rt)} r SET label = d.label, external_id = d.external_id FROM d WHERE r.ctid = d.rid`,
      [rt, st, mode !== 'insert'],
    );
  }
  if (!opts.merged && (mode === 'mirror' || mode === 'add_remove')) {
    await q(
      `INSERT INTO ${stagingTable(rt)} (run_target_id, record_key, match_value, content_hash, label, external_id, payload)
       SELECT $1, s.record_key, s.match_value, s.content_hash, 'removed', s.external_id, s.payload
       FROM sync_state s
       WHERE s.sync_target_id = $2
         AND NOT EXISTS (SELECT 1 FROM ${stagingTable(rt)} r WHERE r.run_target_id = $1 AND r.record_key = s.record_key)`,
      [rt, st],
    );
  }

  // A first sync's extract staged every row with its payload, operation and
  // batch: there is nothing to fetch or assign, only counting.
  const firstSync = opts.labelled && !opts.merged;
  if (!firstSync) {
    // Labels changed the statistics the planner saw after extract: without fresh
    // ones it expects no labelled rows and joins them to the payloads row by row.
    await analyzeStaging(deps.pool, rt);

    // Second warehouse pass: payloads for labelled rows that lack one.
    await fetchPayloads(deps, t);

    // Operations (skipped rows keep theirs empty).
    for (const label of ['added', 'changed', 'removed'] as const) {
      const op = operationFor(mode, label, opts.objectUpsert);
      if (op) {
        await q(`UPDATE ${stagingTable(rt)} SET op = $3 WHERE run_target_id = $1 AND label = $2 AND op IS NULL AND outcome IS NULL`, [rt, label, op]);
      } else {
        await q(
          `UPDATE ${stagingTable(rt)} SET outcome = 'skipped', error = $3 WHERE run_target_id = $1 AND label = $2 AND outcome IS NULL`,
          [rt, label, `${mode} mode does not send ${label} rows`],
        );
      }
    }
  }

  const c = await countTarget(deps, rt);
  const counts = { extracted: c.queried - c.removed, invalid: c.invalid, unchanged: c.unchanged, added: c.added, changed: c.changed, removed: c.removed };

  // Mirror safety: an empty or shrunken extract must not wipe the destination.
  let heldDeletes = 0;
  let heldReason: string | null = null;
  const deletes = counts.removed > 0 ? await q(`SELECT count(*)::int AS n FROM ${stagingTable(rt)} WHERE run_target_id = $1 AND op IN ('delete', 'remove') AND outcome IS NULL`, [rt]) : null;
  const pendingDeletes = Number(deletes?.rows[0]?.n ?? 0);
  if (pendingDeletes > 0 && !opts.deletesConfirmed) {
    // Counting a million committed rows takes a third of a second: the extract's count serves when it has one.
    const committedCount =
      opts.committedRows ?? Number((await q(`SELECT count(*)::int AS n FROM sync_state WHERE sync_target_id = $1`, [st])).rows[0]?.n ?? 0);
    const valid = counts.extracted - counts.invalid;
    if (valid === 0 || valid < committedCount / 2) {
      heldReason =
        valid === 0
          ? `the query returned no valid rows, so ${pendingDeletes} deletion(s) would empty the destination`
          : `the query returned ${valid} valid rows, fewer than half of the ${committedCount} synced last time, so ${pendingDeletes} deletion(s) are held`;
      const held = await q(
        `UPDATE ${stagingTable(rt)} SET outcome = 'held' WHERE run_target_id = $1 AND op IN ('delete', 'remove') AND outcome IS NULL`,
        [rt],
      );
      heldDeletes = held.rowCount ?? 0;
    }
  }

  const batches = firstSync ? await batchCount(deps, rt) : await assignBatches(deps, rt, opts.batchSize);
  return { ...counts, batches, batchSize: opts.batchSize, heldDeletes, heldReason };
}

/**
 * Numbers batches for rows that have an operation but no batch yet, after any
 * existing batches; one operation per batch. Returns the total batch count.
 */
export async function assignBatches(deps: EngineDeps, runTargetId: string, batchSize: number): Promise<number> {
  await deps.pool.query(
    `WITH base AS (SELECT coalesce(max(batch_no) + 1, 0) AS b0 FROM ${stagingTable(runTargetId)} WHERE run_target_id = $1),
     n AS (
       SELECT ctid AS rid, op, (row_number() OVER (PARTITION BY op ORDER BY record_key) - 1) / $2 AS b
       FROM ${stagingTable(runTargetId)} WHERE run_target_id = $1 AND op IS NOT NULL AND batch_no IS NULL AND outcome IS NULL
     ),
     per_op AS (SELECT op, max(b) + 1 AS nb FROM n GROUP BY op),
     offs AS (SELECT op, sum(nb) OVER (ORDER BY ${OP_ORDER}) - nb AS off FROM per_op)
     UPDATE ${stagingTable(runTargetId)} r SET batch_no = base.b0 + offs.off + n.b
     FROM n JOIN offs USING (op), base
     WHERE r.ctid = n.rid`,
    [runTargetId, batchSize],
  );
  return batchCount(deps, runTargetId);
}

async function batchCount(deps: EngineDeps, runTargetId: string): Promise<number> {
  const total = await deps.pool.query(`SELECT coalesce(max(batch_no) + 1, 0)::int AS n FROM ${stagingTable(runTargetId)} WHERE run_target_id = $1`, [runTargetId]);
  return Number(total.rows[0]?.n ?? 0);
}

/** Releases held deletes (after confirmation) into new batches. */
export async function releaseHeldDeletes(deps: EngineDeps, runTargetId: string, batchSize: number): Promise<number> {
  await deps.pool.query(`UPDATE ${stagingTable(runTargetId)} SET outcome = NULL WHERE run_target_id = $1 AND outcome = 'held'`, [runTargetId]);
  return assignBatches(deps, runTargetId, batchSize);
}
