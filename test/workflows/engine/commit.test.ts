/**
 * commit on real PostgreSQL: a whole-batch commit advances sync_state and marks
 * the batch in one transaction, on both of its paths (a plain INSERT for new
 * keys, with an upsert fallback when a key exists after all), each row with
 * its key bucket and row digest: copied from staging where the extract
 * computed them, else computed by PostgreSQL. And delivery's read of a
 * batch: a staged row it cannot decode fails the batch before anything is
 * sent or committed; and results that break the one-result-a-row contract
 * settle nothing.
 */
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../../../connectors/sdk/types';
import { keyBucket, rowDigest } from '../../../workflows/engine/buckets';
import { commitWholeBatch } from '../../../workflows/engine/commit';
import { deliverBatch } from '../../../workflows/engine/deliver';
import { createLimiterFactory } from '../../../workflows/engine/limiter';
import { createStaging, dropStaging, stagingTable, upgradeStaging } from '../../../workflows/engine/staging';
import { loadTarget, type EngineDeps } from '../../../workflows/engine/target';
import { testDb, testPool } from '../../helpers/db';
import { pinnedSinkTarget } from '../../helpers/pipelines';

async function stagedTarget() {
  const db = testDb();
  const pool = testPool();
  const deps: EngineDeps = { db, pool, limiterFactory: createLimiterFactory(pool) };
  const t = await loadTarget(deps, await pinnedSinkTarget(deps));
  await createStaging(pool, t.runTargetId);
  await pool.query(
    `INSERT INTO ${stagingTable(t.runTargetId)} (run_target_id, record_key, match_value, content_hash, label, payload, op, batch_no)
     SELECT $1, k, k || '@x.co', 'new-' || k, 'added', k || '@x.co', 'upsert', 0 FROM unnest(ARRAY['a', 'b', 'c']) AS k`,
    [t.runTargetId],
  );
  const state = async () =>
    (
      await pool.query<{ record_key: string; content_hash: string; key_bucket: number; state_digest: string }>(
        'SELECT record_key, content_hash, key_bucket, state_digest FROM sync_state WHERE sync_target_id = $1 ORDER BY record_key',
        [t.syncTargetId],
      )
    ).rows;
  const batchDone = async () => (await pool.query('SELECT 1 FROM run_batches WHERE run_target_id = $1 AND batch_no = 0', [t.runTargetId])).rowCount;
  return { deps, t, pool, state, batchDone };
}

/** Committed rows carry the bucket and row digest Node computes (buckets.ts). */
const ALL_NEW = ['a', 'b', 'c'].map((k) => ({
  record_key: k,
  content_hash: `new-${k}`,
  key_bucket: keyBucket(k),
  state_digest: String(rowDigest(k, `new-${k}`)),
}));

describe('commitWholeBatch', () => {
  it('inserts new keys and marks the batch done', async () => {
    const { deps, t, state, batchDone } = await stagedTarget();
    await commitWholeBatch(deps, t, 0, 'upsert', ['a', 'b', 'c'], false, true);
    expect(await state()).toEqual(ALL_NEW);
    expect(await batchDone()).toBe(1);
    await dropStaging(deps.pool, t.runTargetId);
  });

  it('falls back to an upsert when a key labelled new is committed after all', async () => {
    const { deps, t, pool, state, batchDone } = await stagedTarget();
    await pool.query(`INSERT INTO sync_state (sync_target_id, record_key, content_hash) VALUES ($1, 'b', 'old-b')`, [t.syncTargetId]);
    await commitWholeBatch(deps, t, 0, 'upsert', ['a', 'b', 'c'], false, true);
    expect(await state()).toEqual(ALL_NEW);
    expect(await batchDone()).toBe(1);
    await dropStaging(deps.pool, t.runTargetId);
    // Dropping staging purges its rows and its batch marks.
    expect((await pool.query('SELECT to_regclass($1) AS t', [stagingTable(t.runTargetId)])).rows[0].t).toBeNull();
    expect(await batchDone()).toBe(0);
  });

  it('stores the bucket and digest staged by the extract as they are', async () => {
    const { deps, t, pool, state } = await stagedTarget();
    // Values Node would never compute for these keys: the commit must copy, not recompute.
    await pool.query(`UPDATE ${stagingTable(t.runTargetId)} SET key_bucket = 7, state_digest = 123456789012 WHERE record_key = 'b'`);
    await commitWholeBatch(deps, t, 0, 'upsert', ['a', 'b', 'c'], false, true);
    expect(await state()).toEqual(ALL_NEW.map((r) => (r.record_key === 'b' ? { ...r, key_bucket: 7, state_digest: '123456789012' } : r)));
    await dropStaging(deps.pool, t.runTargetId);
  });

  it('commits from a staging table created before staging had bucket columns, once a worker upgraded it', async () => {
    const { deps, t, pool, state } = await stagedTarget();
    await pool.query(`ALTER TABLE ${stagingTable(t.runTargetId)} DROP COLUMN key_bucket, DROP COLUMN state_digest`);
    await expect(commitWholeBatch(deps, t, 0, 'upsert', ['a', 'b', 'c'], false, true)).rejects.toThrow(/key_bucket/);
    expect(await upgradeStaging(pool)).toBeGreaterThanOrEqual(1);
    expect(await upgradeStaging(pool)).toBe(0);
    await commitWholeBatch(deps, t, 0, 'upsert', ['a', 'b', 'c'], false, true);
    expect(await state()).toEqual(ALL_NEW);
    await dropStaging(deps.pool, t.runTargetId);
  });
});

describe('deliverBatch reading its staged rows', () => {
  it('fails on a row it cannot decode, sends and commits nothing, and leaves no connection checked out', async () => {
    const { deps, t, pool, state, batchDone } = await stagedTarget();
    // The plan has one field; b's payload holds two.
    await pool.query(`UPDATE ${stagingTable(t.runTargetId)} SET payload = 'x|y' WHERE record_key = 'b'`);
    await expect(deliverBatch(deps, t, 0)).rejects.toThrow(/2 fields, the plan has 1/);
    expect(await state()).toEqual([]);
    expect(await batchDone()).toBe(0);
    expect(pool.totalCount - pool.idleCount).toBe(0);
    // Once the row is repaired the same batch delivers.
    await pool.query(`UPDATE ${stagingTable(t.runTargetId)} SET payload = 'b@x.co' WHERE record_key = 'b'`);
    await expect(deliverBatch(deps, t, 0)).resolves.toMatchObject({ staged: 3, accepted: 3 });
    expect((await state()).map((r) => r.record_key)).toEqual(['a', 'b', 'c']);
    await dropStaging(pool, t.runTargetId);
  });
});

describe('deliverBatch and the results a connector returns', () => {
  it('a row with results that disagree is in doubt and sent again, never settled by whichever result came last', async () => {
    const { deps, t, state } = await stagedTarget();
    const sends: string[][] = [];
    const write: typeof t.destination.connector.write = async (rows) => {
      const keys = rows.map((r) => r.recordKey);
      sends.push(keys);
      if (sends.length > 1) return keys.map((recordKey) => ({ recordKey, status: 'accepted' as const }));
      // A buggy connector: a rejected then an accepted result for a, the same
      // result twice for b, and one for a row it was never sent.
      return [
        { recordKey: 'a', status: 'rejected' as const, message: 'bad email' },
        { recordKey: 'a', status: 'accepted' as const },
        { recordKey: 'b', status: 'accepted' as const },
        { recordKey: 'b', status: 'accepted' as const },
        { recordKey: 'c', status: 'accepted' as const },
        { recordKey: 'not-sent', status: 'accepted' as const },
      ];
    };
    const buggy = { ...t, destination: { ...t.destination, connector: { ...t.destination.connector, write } } };
    const result = await deliverBatch(deps, buggy, 0, { baseBackoffMs: 1, maxBackoffMs: 5 });
    // a alone is sent again: neither of its results settled it.
    expect(sends).toEqual([['a', 'b', 'c'], ['a']]);
    expect(result).toMatchObject({ staged: 3, accepted: 3, rejected: 0, exhausted: 0 });
    expect((await state()).map((r) => r.record_key)).toEqual(['a', 'b', 'c']);
    await dropStaging(deps.pool, t.runTargetId);
  });

  it('a row whose results keep disagreeing runs out of attempts, and its report names the connector as the cause', async () => {
    const { deps, t, state } = await stagedTarget();
    const sends: string[][] = [];
    const write: typeof t.destination.connector.write = async (rows) => {
      sends.push(rows.map((r) => r.recordKey));
      // Two results for c agree; the third does not.
      const c = [{ recordKey: 'c', status: 'accepted' as const }, { recordKey: 'c', status: 'accepted' as const }, { recordKey: 'c', status: 'rejected' as const, message: 'no' }];
      return [...rows.filter((r) => r.recordKey !== 'c').map((r) => ({ recordKey: r.recordKey, status: 'accepted' as const })), ...(rows.some((r) => r.recordKey === 'c') ? c : [])];
    };
    const buggy = { ...t, destination: { ...t.destination, connector: { ...t.destination.connector, write } } };
    const result = await deliverBatch(deps, buggy, 0, { baseBackoffMs: 1, maxBackoffMs: 5, maxAttempts: 2 });
    expect(sends).toEqual([['a', 'b', 'c'], ['c']]);
    expect(result).toMatchObject({ staged: 3, accepted: 2, exhausted: 1 });
    expect((await state()).map((r) => r.record_key)).toEqual(['a', 'b']);
    const staged = await deps.pool.query<{ outcome: string; error: string }>(`SELECT outcome, error FROM ${stagingTable(t.runTargetId)} WHERE record_key = 'c'`);
    expect(staged.rows[0]?.outcome).toBe('exhausted');
    expect(staged.rows[0]?.error).toBe(
      `still failing after 2 attempts (last: the ${t.destination.connector.displayName} connector returned 3 results for this row that disagree (a bug in the connector; report it)); it will be retried on the next run`,
    );
    await dropStaging(deps.pool, t.runTargetId);
  });

  it('rows whose whole batch keeps failing retryably run out of attempts, and their report gives the last failure', async () => {
    const { deps, t, state } = await stagedTarget();
    let sends = 0;
    const write: typeof t.destination.connector.write = async () => {
      sends++;
      throw new ConnectorError(`rate limited (429), send ${sends}`, { code: 'rate_limited', retryable: true, applied: 'no', retryAfterMs: 1 });
    };
    const limited = { ...t, destination: { ...t.destination, connector: { ...t.destination.connector, write } } };
    const result = await deliverBatch(deps, limited, 0, { baseBackoffMs: 1, maxBackoffMs: 5, maxAttempts: 2 });
    expect(sends).toBe(2);
    expect(result).toMatchObject({ staged: 3, accepted: 0, exhausted: 3 });
    expect(await state()).toEqual([]);
    const staged = await deps.pool.query<{ error: string }>(`SELECT DISTINCT error FROM ${stagingTable(t.runTargetId)} WHERE outcome = 'exhausted'`);
    expect(staged.rows.map((r) => r.error)).toEqual(['still failing after 2 attempts (last: rate limited (429), send 2); it will be retried on the next run']);
    await dropStaging(deps.pool, t.runTargetId);
  });
});
