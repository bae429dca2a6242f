/**
 * Bucket summaries (workflows/engine/bucket-summary.ts) on real PostgreSQL
 * and DuckDB: after every run the summary equals what summing sync_state
 * gives (merge.ts committedDigests), whatever the run did: a first sync,
 * updates, inserts and deletes, rows left undelivered, a run that died before
 * its finalize, a failed run, and a run that replaces committed digests; and a
 * run from a source that does not compare digests discards it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_KEY_COLUMN } from '../../../workflows/compile/plan';
import { closeDuckDbInstances } from '../../../connectors/sources/duckdb';
import { bucketBits, KEY_BUCKET_BITS, sqlKeyBucket, sqlRowDigest } from '../../../workflows/engine/buckets';
import { summaryDigests } from '../../../workflows/engine/bucket-summary';
import { deliverBatch } from '../../../workflows/engine/deliver';
import { diff } from '../../../workflows/engine/diff';
import { extract, type ExtractResult } from '../../../workflows/engine/extract';
import { finalizeRun, finalizeTarget, type FinalizeInput } from '../../../workflows/engine/finalize';
import { createLimiterFactory } from '../../../workflows/engine/limiter';
import { committedDigests } from '../../../workflows/engine/merge';
import { pin, releaseLocks } from '../../../workflows/engine/pin';
import { stagingTable } from '../../../workflows/engine/staging';
import { loadTarget, type EngineDeps } from '../../../workflows/engine/target';
import { createWorkspace, testDb, testPool } from '../../helpers/db';
import { createConnection, createPipelineWithPlan, duckdbSql, publishPlan, writeDuckDb } from '../../helpers/pipelines';

const ROWS = 3_000;

describe('bucket summaries', () => {
  let deps: EngineDeps;
  let dir = '';
  let file = '';
  let pipelineId = '';
  let syncTargetId = '';
  let workspaceId = '';
  let sinkId = '';

  const warehouse = (statements: string[]) => writeDuckDb(file, statements);

  const lines = async (gen: AsyncIterable<string[]>) => {
    const out: string[] = [];
    for await (const b of gen) out.push(...b);
    return out;
  };

  /** The summary's phase and holder, or null without one. */
  const summaryRow = async () =>
    (await deps.pool.query<{ phase: string; held_by: string | null; bits: number }>('SELECT phase, held_by, bits FROM bucket_summaries WHERE sync_target_id = $1', [syncTargetId])).rows[0] ?? null;

  /** The ready summary's lines, and what summing sync_state by the same bits gives. */
  async function summaryAndState() {
    const row = await summaryRow();
    expect(row).toMatchObject({ phase: 'ready', held_by: null });
    const client = await deps.pool.connect();
    try {
      return { summary: await lines(summaryDigests(client, syncTargetId)), state: await lines(committedDigests(client, syncTargetId, row!.bits)), bits: row!.bits };
    } finally {
      client.release();
    }
  }

  /**
   * One run through the engine's phases, delivering the first `deliver`
   * batches (all by default) and finalizing with `finalize` (none: the run
   * dies after its extract); `retryExtract` runs the extract twice, as
   * Temporal does when a worker dies after an extract finished.
   */
  async function run(opts: { deliver?: number; finalize?: Omit<FinalizeInput, 'runTargetId'> | null; retryExtract?: boolean } = {}) {
    const pinned = await pin(deps, { runId: `run_${randomUUID()}`, pipelineId, trigger: 'test' });
    if (!pinned.ok) throw new Error(pinned.reason);
    const t = await loadTarget(deps, pinned.targets[0]!.runTargetId);
    syncTargetId = t.syncTargetId;
    if (opts.retryExtract) await extract(deps, t, 'upsert', 500);
    const ex: ExtractResult = await extract(deps, t, 'upsert', 500);
    await deps.db.runTarget.update({ where: { id: t.runTargetId }, data: { phase: 'diff', queried: ex.extracted, unstagedUnchanged: ex.unstagedUnchanged } });
    const held = await summaryRow();
    const d = await diff(deps, t, { objectUpsert: true, labelled: ex.labelled, merged: ex.merged, deletesConfirmed: true, batchSize: 500 });
    const labelled = await deps.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${stagingTable(t.runTargetId)} WHERE run_target_id = $1 AND label IS NOT NULL`, [
      t.runTargetId,
    ]);
    for (let b = 0; b < Math.min(d.batches, opts.deliver ?? d.batches); b++) await deliverBatch(deps, t, b);
    if (opts.finalize === null) {
      // The worker died: no finalize. Free the destination for the next run, as the run's cleanup would.
      await releaseLocks(deps, pinned.runId);
      return { ex, held, labelled: labelled.rows[0]!.n, counts: null };
    }
    const f = await finalizeTarget(deps, { runTargetId: t.runTargetId, ...(opts.finalize ?? {}) });
    await finalizeRun(deps, pinned.runId);
    return { ex, held, labelled: labelled.rows[0]!.n, counts: f.counts };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bf-summary-'));
    file = path.join(dir, 'wh.duckdb');
    await warehouse([`CREATE TABLE people AS SELECT i AS id, 'user' || i || '@example.com' AS email, round(i * 1.5, 2) AS score FROM range(1, ${ROWS + 1}) t(i)`]);
    const db = testDb();
    const pool = testPool();
    deps = { db, pool, limiterFactory: createLimiterFactory(pool), verifySummaries: true };
    const { workspace } = await createWorkspace(db, ['admin']);
    const src = await createConnection(db, workspace.id, { kind: 'source', connector: 'duckdb', config: { path: file } });
    const sink = await createConnection(db, workspace.id, { kind: 'destination', connector: 'noop-sink', config: {} });
    workspaceId = workspace.id;
    sinkId = sink.id;
    const { pipeline } = await createPipelineWithPlan(db, workspace.id, () => [
      {
        id: 'dest',
        source: { connectionId: src.id, dialect: 'duckdb' },
        sql: duckdbSql('people', 'id', ['email', 'score']),
        fields: [
          { name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
          { name: 'score', type: 'number', whenNull: 'omit', onlyIfEmpty: false },
        ],
        matchField: 'email',
        destination: { connectionId: sink.id, connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} },
      },
    ]);
    pipelineId = pipeline.id;
  });

  afterAll(async () => {
    closeDuckDbInstances();
    await rm(dir, { recursive: true, force: true });
  });

  it('a first sync builds it; unchanged and changed runs take it and leave it equal to sync_state', async () => {
    const first = await run();
    expect(first.ex.firstSync).toBe(true);
    const built = await summaryAndState();
    expect(built.bits).toBe(bucketBits(ROWS));
    expect(built.summary.length).toBeGreaterThan(0);
    expect(built.summary).toEqual(built.state);

    const same = await run();
    // The extract took the summary; with nothing to merge, finalize left it as it was.
    expect(same.held).toMatchObject({ phase: 'held' });
    expect(same.ex.keyByKey).toBe(0);
    const after = await summaryAndState();
    expect(after.summary).toEqual(built.summary);

    await warehouse([
      `UPDATE people SET score = score + 1000 WHERE id IN (7, 1234, 2999)`,
      `DELETE FROM people WHERE id IN (10, 2000)`,
      `INSERT INTO people VALUES (${ROWS + 1}, 'new1@example.com', 1.0), (${ROWS + 2}, 'new2@example.com', 2.0)`,
    ]);
    const changed = await run();
    expect(changed.held).toMatchObject({ phase: 'held' });
    expect(changed.counts).toMatchObject({ added: 2, changed: 3, removed: 2, accepted: 7 });
    const settled = await summaryAndState();
    expect(settled.summary).toEqual(settled.state);
    expect(settled.summary).not.toEqual(built.summary);

    // The next run finds nothing to merge: the summary matched the warehouse.
    const again = await run();
    expect(again.ex.keyByKey).toBe(0);
    expect(again.labelled).toBe(0);
  });

  it('rows left undelivered (skipped) stay out of it, and the next run sends them', async () => {
    await warehouse([`UPDATE people SET score = score + 1 WHERE id % 100 = 0`]);
    const partial = await run({ deliver: 0, finalize: { skipReason: 'test: not delivered' } });
    // 30 ids, less 2000, deleted above.
    expect(partial.counts).toMatchObject({ changed: 29, accepted: 0, skipped: 29 });
    const { summary, state } = await summaryAndState();
    expect(summary).toEqual(state);

    const next = await run();
    expect(next.counts).toMatchObject({ changed: 29, accepted: 29 });
    const after = await summaryAndState();
    expect(after.summary).toEqual(after.state);
  });

  it('a run that died after taking it, or failed, leaves none the next run would trust', async () => {
    await warehouse([`UPDATE people SET score = score + 1 WHERE id % 150 = 0`]);
    const died = await run({ deliver: 1, finalize: null });
    expect(died.held).toMatchObject({ phase: 'held' });
    // Its first batch was committed, so the summary no longer matches sync_state: the next run must not use it.
    const next = await run();
    expect(next.held).toMatchObject({ phase: 'build' });
    expect(next.counts).toMatchObject({ accepted: next.labelled });
    const rebuilt = await summaryAndState();
    expect(rebuilt.summary).toEqual(rebuilt.state);

    await warehouse([`UPDATE people SET score = score + 1 WHERE id % 170 = 0`]);
    await run({ finalize: { fatal: 'test: the destination failed' } });
    expect(await summaryRow()).toBeNull();
    // Without one, the next run sums sync_state and builds a new one.
    const after = await run();
    expect(after.held).toMatchObject({ phase: 'build' });
    const again = await summaryAndState();
    expect(again.summary).toEqual(again.state);
  });

  it('an extract run again (a retried activity) does not trust the summary its first attempt took', async () => {
    await warehouse([`UPDATE people SET score = score + 1 WHERE id % 190 = 0`]);
    const r = await run({ retryExtract: true });
    expect(r.held).toMatchObject({ phase: 'build' });
    expect(r.counts).toMatchObject({ changed: r.labelled, accepted: r.labelled });
    expect(r.labelled).toBeGreaterThan(0);
    const { summary, state } = await summaryAndState();
    expect(summary).toEqual(state);
  });

  it('a run that replaces committed digests (rows committed before native digests) builds the summary afresh', async () => {
    // sync_state as before native digests, with a summary that matches it (what an earlier build gave).
    await deps.pool.query(
      `UPDATE sync_state SET key_bucket = ${sqlKeyBucket('postgres', 'record_key')}, state_digest = ${sqlRowDigest('postgres', 'record_key', 'content_hash')} WHERE sync_target_id = $1`,
      [syncTargetId],
    );
    const { bits } = await summaryAndState();
    await deps.pool.query('DELETE FROM bucket_digests WHERE sync_target_id = $1', [syncTargetId]);
    await deps.pool.query(
      `INSERT INTO bucket_digests (sync_target_id, bucket, rows, tainted, digest_sum)
       SELECT $1, key_bucket >> ${KEY_BUCKET_BITS - bits}, count(*), 0, sum(state_digest) FROM sync_state WHERE sync_target_id = $1 GROUP BY 2`,
      [syncTargetId],
    );
    const r = await run();
    // It took the summary, found every bucket different, merged every row and replaced each committed digest.
    expect(r.ex.keyByKey).toBeGreaterThan(0);
    expect(r.labelled).toBe(0);
    expect(r.held).toMatchObject({ phase: 'build' });
    const { summary, state } = await summaryAndState();
    expect(summary).toEqual(state);
    const next = await run();
    expect(next.held).toMatchObject({ phase: 'held' });
    expect(next.ex.keyByKey).toBe(0);
  });

  it('a run from a source that does not compare bucket digests discards the summary: its commits do not keep it', async () => {
    expect(await summaryRow()).toMatchObject({ phase: 'ready' });
    // The same destination, now fed by MySQL (the machine's MariaDB; no digests first): the sync target stays.
    const server = { host: '127.0.0.1', port: 3306, user: 'root' };
    const database = `bf_summary_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const onMySql = async (sql: string, db?: string) => {
      const c = await mysql.createConnection({ ...server, ...(db ? { database: db } : {}) });
      await c.query(sql).finally(() => c.end());
    };
    await onMySql(`CREATE DATABASE ${database}`);
    try {
      await onMySql(`CREATE TABLE people AS SELECT seq AS id, CONCAT('user', seq, '@example.com') AS email, round(seq * 1.5, 2) + 7 AS score FROM seq_1_to_100`, database);
      const src = await createConnection(deps.db, workspaceId, {
        kind: 'source',
        connector: 'mysql',
        config: { ...server, database, ssl: 'disable' },
        credentials: { password: '' },
      });
      await publishPlan(deps.db, pipelineId, [
        {
          id: 'dest',
          source: { connectionId: src.id, dialect: 'mysql' },
          sql: `SELECT CAST(id AS CHAR) AS \`${RECORD_KEY_COLUMN}\`, email, score FROM people`,
          fields: [
            { name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
            { name: 'score', type: 'number', whenNull: 'omit', onlyIfEmpty: false },
          ],
          matchField: 'email',
          destination: { connectionId: sinkId, connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} },
        },
      ]);
      const r = await run();
      expect(r.counts!.changed).toBeGreaterThan(0);
      expect(await summaryRow()).toBeNull();
      expect(await deps.pool.query('SELECT 1 FROM bucket_digests WHERE sync_target_id = $1', [syncTargetId]).then((x) => x.rowCount)).toBe(0);
    } finally {
      await onMySql(`DROP DATABASE IF EXISTS ${database}`);
    }
  });
});
