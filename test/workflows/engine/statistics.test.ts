/**
 * finalize refreshes sync_state's planner statistics after a run that wrote
 * much of it (refreshSyncStateStatistics), on real PostgreSQL: it analyzes
 * when the rows written exceed autovacuum's threshold against the table's size
 * as last analyzed, not after a small run, and gives up, without failing the
 * run, when another session holds the table's ANALYZE lock.
 */
import { describe, expect, it } from 'vitest';
import { refreshSyncStateStatistics } from '../../../workflows/engine/finalize';
import { createLimiterFactory } from '../../../workflows/engine/limiter';
import type { EngineDeps } from '../../../workflows/engine/target';
import { testDb, testPool } from '../../helpers/db';
import { pinnedSinkTarget } from '../../helpers/pipelines';

const ROWS = 3_000;

async function syncTargetWithRows(deps: EngineDeps): Promise<string> {
  const target = await deps.db.runTarget.findUniqueOrThrow({ where: { id: await pinnedSinkTarget(deps) } });
  await deps.pool.query(
    `INSERT INTO sync_state (sync_target_id, record_key, content_hash, match_value, payload)
     SELECT $1, 'k' || i, 'h' || i, 'u' || i || '@x.co', 'u' || i || '@x.co' FROM generate_series(1, $2::int) i`,
    [target.syncTargetId, ROWS],
  );
  return target.syncTargetId;
}

const analyzedRows = async (deps: EngineDeps) =>
  (await deps.pool.query<{ n: number }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'sync_state'::regclass`)).rows[0]!.n;

describe('sync_state statistics after a run', () => {
  it('analyzes after a run that wrote more than the threshold, and not after a small one', async () => {
    const pool = testPool();
    const deps: EngineDeps = { db: testDb(), pool, limiterFactory: createLimiterFactory(pool) };
    await syncTargetWithRows(deps);

    expect(await refreshSyncStateStatistics(deps, 0)).toBe(false);
    // More rows than any table here holds: always over the threshold.
    expect(await refreshSyncStateStatistics(deps, 1_000_000_000)).toBe(true);
    // The ANALYZE counted the rows inserted above (other test files may add more).
    expect(await analyzedRows(deps)).toBeGreaterThanOrEqual(ROWS);
    // A run that wrote one row stays under 1,000 + 10% of the table.
    expect(await refreshSyncStateStatistics(deps, 1)).toBe(false);
  });

  it('gives up without an error while another session holds the ANALYZE lock', async () => {
    const pool = testPool();
    const deps: EngineDeps = { db: testDb(), pool, limiterFactory: createLimiterFactory(pool) };
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      // The lock autovacuum and ANALYZE take; writers are not blocked by it.
      await holder.query('LOCK TABLE sync_state IN SHARE UPDATE EXCLUSIVE MODE');
      expect(await refreshSyncStateStatistics(deps, 1_000_000_000)).toBe(false);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  }, 15_000);
});
