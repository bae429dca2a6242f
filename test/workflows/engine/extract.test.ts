/**
 * The incremental extract without Temporal, from a DuckDB and a PostgreSQL
 * source (through its COPY fast path), with the control database on real
 * PostgreSQL: after a first sync, a run labels every update, insert and
 * delete, and counts the rest unchanged. DuckDB and PostgreSQL compare bucket
 * digests (buckets.ts) first and merge key by key only the rows of the buckets
 * that differ; MySQL (the machine's MariaDB) merges every row
 * (DialectSql.digestsFirst).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RECORD_KEY_COLUMN } from '../../../workflows/compile/plan';
import { closeDuckDbInstances } from '../../../connectors/sources/duckdb';
import { sqlKeyBucket, sqlRowDigest } from '../../../workflows/engine/buckets';
import { discardSummary } from '../../../workflows/engine/bucket-summary';
import { contentHash, encodeCanonical, fieldsSignature } from '../../../workflows/engine/hash';
import { deliverBatch } from '../../../workflows/engine/deliver';
import { diff } from '../../../workflows/engine/diff';
import { extract } from '../../../workflows/engine/extract';
import { finalizeRun, finalizeTarget } from '../../../workflows/engine/finalize';
import { createLimiterFactory } from '../../../workflows/engine/limiter';
import { pin } from '../../../workflows/engine/pin';
import { stagingTable } from '../../../workflows/engine/staging';
import { loadTarget, type EngineDeps } from '../../../workflows/engine/target';
import { createWorkspace, testDb, testPool } from '../../helpers/db';
import { createConnection, createPipelineWithPlan, duckdbSql, writeDuckDb } from '../../helpers/pipelines';

const ROWS = 4_000;

/** A source warehouse for the test: its connection, the path's SQL, and a way to change its rows. */
type Source = {
  name: string;
  connector: 'duckdb' | 'postgres' | 'mysql';
  /** The dialect compares bucket digests before merging. */
  digestsFirst: boolean;
  /** The type a key is cast to text with, and the record key column's quoted name. */
  textType: string;
  keyColumn: string;
  setup(): Promise<{ config: Record<string, unknown>; credentials?: Record<string, unknown> }>;
  sql(statements: string[]): Promise<void>;
  pathSql: string;
  teardown(): Promise<void>;
};

function duckdbSource(): Source {
  let dir = '';
  let file = '';
  const run = (statements: string[]) => writeDuckDb(file, statements);
  return {
    name: 'DuckDB',
    connector: 'duckdb',
    digestsFirst: true,
    textType: 'VARCHAR',
    keyColumn: `"${RECORD_KEY_COLUMN}"`,
    async setup() {
      dir = await mkdtemp(path.join(tmpdir(), 'bf-extract-'));
      file = path.join(dir, 'wh.duckdb');
      await run([`CREATE TABLE people AS SELECT i AS id, 'user' || i || '@example.com' AS email, round(i * 1.5, 2) AS score FROM range(1, ${ROWS + 1}) t(i)`]);
      return { config: { path: file } };
    },
    sql: run,
    pathSql: duckdbSql('people', 'id', ['email', 'score']),
    async teardown() {
      closeDuckDbInstances();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgresSource(): Source {
  const database = `bf_extract_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const admin = new URL(inject('adminDatabaseUrl'));
  const run = async (db: string, statements: string[]) => {
    const u = new URL(admin);
    u.pathname = `/${db}`;
    const c = new pg.Client({ connectionString: u.toString() });
    await c.connect();
    try {
      for (const s of statements) await c.query(s);
    } finally {
      await c.end();
    }
  };
  return {
    name: 'PostgreSQL',
    connector: 'postgres',
    digestsFirst: true,
    textType: 'TEXT',
    keyColumn: `"${RECORD_KEY_COLUMN}"`,
    async setup() {
      await run('postgres', [`CREATE DATABASE ${database}`]);
      await run(database, [
        `CREATE TABLE people AS SELECT i AS id, 'user' || i || '@example.com' AS email, round(i * 1.5, 2) AS score FROM generate_series(1, ${ROWS}) AS i`,
      ]);
      return {
        config: { host: admin.hostname, port: Number(admin.port || 5432), database, user: decodeURIComponent(admin.username || 'postgres'), ssl: 'disable' },
        credentials: { password: decodeURIComponent(admin.password) },
      };
    },
    sql: (statements) => run(database, statements),
    pathSql: `SELECT CAST(id AS TEXT) AS "${RECORD_KEY_COLUMN}", email, score FROM people`,
    async teardown() {
      await run('postgres', [`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`]);
    },
  };
}

function mysqlSource(): Source {
  const database = `bf_extract_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const server = { host: '127.0.0.1', port: 3306, user: 'root' };
  const run = async (db: string | undefined, statements: string[]) => {
    const c = await mysql.createConnection({ ...server, ...(db ? { database: db } : {}) });
    try {
      for (const s of statements) await c.query(s);
    } finally {
      await c.end();
    }
  };
  return {
    name: 'MySQL',
    connector: 'mysql',
    digestsFirst: false,
    textType: 'CHAR',
    keyColumn: `\`${RECORD_KEY_COLUMN}\``,
    async setup() {
      await run(undefined, [`CREATE DATABASE ${database}`]);
      await run(database, [
        `CREATE TABLE people AS SELECT seq AS id, CONCAT('user', seq, '@example.com') AS email, round(seq * 1.5, 2) AS score FROM seq_1_to_${ROWS}`,
      ]);
      return { config: { ...server, database, ssl: 'disable' }, credentials: { password: '' } };
    },
    sql: (statements) => run(database, statements),
    pathSql: `SELECT CAST(id AS CHAR) AS \`${RECORD_KEY_COLUMN}\`, email, score FROM people`,
    async teardown() {
      await run(undefined, [`DROP DATABASE IF EXISTS ${database}`]);
    },
  };
}

const FIELDS = [
  { name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
  { name: 'score', type: 'number', whenNull: 'omit', onlyIfEmpty: false },
] as const;

for (const source of [duckdbSource(), postgresSource(), mysqlSource()]) {
  describe(`incremental extract (${source.name} source)`, () => {
    /** Rows the merge compares key by key: none, or a few buckets' worth, with digests; else every row. */
    const compared = (few: number, all: number) => (source.digestsFirst ? few : all);
    let deps: EngineDeps;
    let pipelineId: string;
    /** runOnce's default deps (the suite's), read when it is called. */
    const engineDeps = () => deps;
    /** The workspace and connections the pipelines run with. */
    let ids: { workspaceId: string; sourceId: string; sinkId: string };
    const sql = (statements: string[]) => source.sql(statements);

    /** One run through the engine's phases; returns the extract's result, the labels staged and the final counts. */
    async function runOnce(id = pipelineId, deps = engineDeps()) {
      const pinned = await pin(deps, { runId: `run_${randomUUID()}`, pipelineId: id, trigger: 'test' });
      if (!pinned.ok) throw new Error(pinned.reason);
      const t = await loadTarget(deps, pinned.targets[0]!.runTargetId);
      const ex = await extract(deps, t, 'upsert', 1_000);
      const withPayload = await deps.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${stagingTable(t.runTargetId)} WHERE run_target_id = $1 AND label IN ('added', 'changed') AND payload IS NOT NULL`,
        [t.runTargetId],
      );
      // What the extract activity records (workflows/temporal/activities.ts).
      await deps.db.runTarget.update({ where: { id: t.runTargetId }, data: { phase: 'diff', queried: ex.extracted, unstagedUnchanged: ex.unstagedUnchanged } });
      const d = await diff(deps, t, { objectUpsert: true, labelled: ex.labelled, merged: ex.merged, deletesConfirmed: true, batchSize: 1_000 });
      const labels = await deps.pool.query<{ record_key: string; label: string }>(
        `SELECT record_key, label FROM ${stagingTable(t.runTargetId)} WHERE run_target_id = $1 AND label IS NOT NULL ORDER BY label, record_key`,
        [t.runTargetId],
      );
      const staged = await deps.pool.query<{ record_key: string; payload: string; content_hash: string }>(
        `SELECT record_key, payload, content_hash FROM ${stagingTable(t.runTargetId)} WHERE run_target_id = $1 AND label IN ('added', 'changed')`,
        [t.runTargetId],
      );
      for (let b = 0; b < d.batches; b++) await deliverBatch(deps, t, b);
      const f = await finalizeTarget(deps, { runTargetId: t.runTargetId });
      await finalizeRun(deps, pinned.runId);
      return {
        ex,
        labels: labels.rows.map((r) => `${r.label}:${r.record_key}`),
        counts: f.counts,
        payloadsFromExtract: withPayload.rows[0]!.n,
        sent: new Map(staged.rows.map((r) => [r.record_key, r])),
      };
    }

    beforeAll(async () => {
      const { config, credentials } = await source.setup();
      const db = testDb();
      const pool = testPool();
      deps = { db, pool, limiterFactory: createLimiterFactory(pool), verifySummaries: true };
      const { workspace } = await createWorkspace(db, ['admin']);
      const src = await createConnection(db, workspace.id, { kind: 'source', connector: source.connector, config, ...(credentials ? { credentials } : {}) });
      const sink = await createConnection(db, workspace.id, { kind: 'destination', connector: 'noop-sink', config: {} });
      const { pipeline } = await createPipelineWithPlan(db, workspace.id, () => [
        {
          id: 'dest',
          source: { connectionId: src.id, dialect: source.connector },
          sql: source.pathSql,
          fields: FIELDS.map((f) => ({ ...f })),
          matchField: 'email',
          destination: { connectionId: sink.id, connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} },
        },
      ]);
      pipelineId = pipeline.id;
      ids = { workspaceId: workspace.id, sourceId: src.id, sinkId: sink.id };
    });

    afterAll(async () => {
      await source.teardown();
    });

    it('a first sync stages every row: valid ones labelled in batches of the batch size, invalid ones unlabelled', async () => {
      // Its own pipeline over the same table, with NULL keys spread through it, one shared key and one shared match value.
      const key = `CASE WHEN id % 997 = 0 THEN NULL WHEN id = 1500 THEN '1499' ELSE CAST(id AS ${source.textType}) END`;
      const email = `CASE WHEN id = 1200 THEN 'user1199@example.com' ELSE email END`;
      const { pipeline } = await createPipelineWithPlan(deps.db, ids.workspaceId, () => [
        {
          id: 'dest',
          source: { connectionId: ids.sourceId, dialect: source.connector },
          sql: `SELECT ${key} AS ${source.keyColumn}, ${email} AS email, score FROM people`,
          fields: [
            { name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
            { name: 'score', type: 'number', whenNull: 'omit', onlyIfEmpty: false },
          ],
          matchField: 'email',
          destination: { connectionId: ids.sinkId, connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} },
        },
      ]);
      const pinned = await pin(deps, { runId: `run_${randomUUID()}`, pipelineId: pipeline.id, trigger: 'test' });
      if (!pinned.ok) throw new Error(pinned.reason);
      const t = await loadTarget(deps, pinned.targets[0]!.runTargetId);
      const ex = await extract(deps, t, 'upsert', 300);
      expect(ex).toMatchObject({ firstSync: true, labelled: true, extracted: ROWS });

      const groups = await deps.pool.query<{ batch_no: number | null; label: string | null; op: string | null; invalid: string | null; n: number }>(
        `SELECT batch_no, label, op, invalid, count(*)::int AS n FROM ${stagingTable(t.runTargetId)} WHERE run_target_id = $1
         GROUP BY 1, 2, 3, 4 ORDER BY 1 NULLS LAST, 4`,
        [t.runTargetId],
      );
      const nullKeys = Math.floor(ROWS / 997);
      const valid = ROWS - nullKeys - 4;
      const batches = Math.ceil(valid / 300);
      expect(groups.rows).toEqual([
        ...Array.from({ length: batches }, (_, b) => ({ batch_no: b, label: 'added', op: 'upsert', invalid: null, n: b < batches - 1 ? 300 : valid - 300 * (batches - 1) })),
        { batch_no: null, label: null, op: null, invalid: 'duplicate_key', n: 2 },
        { batch_no: null, label: null, op: null, invalid: 'duplicate_match', n: 2 },
        { batch_no: null, label: null, op: null, invalid: 'null_key', n: nullKeys },
      ]);
      // Every line kept its own values (lines are joined in runs, not one by one).
      const sample = await deps.pool.query<{ record_key: string; match_value: string }>(
        `SELECT record_key, match_value FROM ${stagingTable(t.runTargetId)} WHERE run_target_id = $1 AND record_key IN ('1', '300', '301', '998', '1499', '${ROWS}')
         ORDER BY CAST(record_key AS int), match_value`,
        [t.runTargetId],
      );
      expect(sample.rows).toEqual([
        { record_key: '1', match_value: 'user1@example.com' },
        { record_key: '300', match_value: 'user300@example.com' },
        { record_key: '301', match_value: 'user301@example.com' },
        { record_key: '998', match_value: 'user998@example.com' },
        { record_key: '1499', match_value: 'user1499@example.com' },
        { record_key: '1499', match_value: 'user1500@example.com' },
        { record_key: String(ROWS), match_value: `user${ROWS}@example.com` },
      ]);
      await finalizeTarget(deps, { runTargetId: t.runTargetId });
      await finalizeRun(deps, pinned.runId);
    });

    it('first sync, then an unchanged run (with digests, no row is compared key by key)', async () => {
      const first = await runOnce();
      expect(first.ex).toMatchObject({ firstSync: true, extracted: ROWS, keyByKey: null });
      expect(first.counts).toMatchObject({ queried: ROWS, added: ROWS, accepted: ROWS });

      const same = await runOnce();
      expect(same.ex).toMatchObject({ merged: true, extracted: ROWS, unstagedUnchanged: ROWS, keyByKey: compared(0, ROWS) });
      expect(same.labels).toEqual([]);
      expect(same.counts).toMatchObject({ queried: ROWS, unchanged: ROWS, added: 0, changed: 0, removed: 0 });
    });

    it('a few updates, inserts and deletes: each is labelled (with digests, only their buckets are merged)', async () => {
      await sql([
        `UPDATE people SET score = score + 1000 WHERE id IN (7, 1234, 3999)`,
        `DELETE FROM people WHERE id IN (10, 2000)`,
        `INSERT INTO people VALUES (${ROWS + 1}, 'new1@example.com', 1.0), (${ROWS + 2}, 'new2@example.com', 2.0)`,
      ]);
      const r = await runOnce();
      expect(r.labels).toEqual(['added:4001', 'added:4002', 'changed:1234', 'changed:3999', 'changed:7', 'removed:10', 'removed:2000']);
      // With digests the merge query brought the payloads along: the diff fetched none.
      expect(r.payloadsFromExtract).toBe(source.digestsFirst ? 5 : 0);
      // Each payload staged (from either pass) is the new row's, under its hash.
      for (const [key, email, score] of [['4001', 'new1@example.com', '1'], ['7', 'user7@example.com', null]] as const) {
        const row = r.sent.get(key)!;
        if (score) expect(row.payload).toBe(encodeCanonical([email, score]));
        expect(row.payload.startsWith(encodeCanonical([email]))).toBe(true);
        expect(row.content_hash).toBe(contentHash(fieldsSignature(FIELDS), row.payload));
      }
      // queried = invalid + unchanged + added + changed + removed: the removed rows count in it.
      expect(r.counts).toMatchObject({ queried: ROWS + 2, unchanged: ROWS - 5, added: 2, changed: 3, removed: 2, accepted: 7 });
      // 7 changed keys dirty at most 7 of the 512 buckets (about 8 rows each): far fewer rows than all are compared.
      if (source.digestsFirst) {
        expect(r.ex.keyByKey).toBeGreaterThan(0);
        expect(r.ex.keyByKey).toBeLessThan(ROWS / 20);
      } else {
        expect(r.ex.keyByKey).toBe(ROWS);
      }

      // The next run finds the committed state in step again.
      const again = await runOnce();
      expect(again.ex.keyByKey).toBe(compared(0, ROWS));
      expect(again.counts).toMatchObject({ queried: ROWS, unchanged: ROWS });
    });

    it('committed buckets and row digests unlike the warehouse\'s (md5 ones, as before native digests) are replaced in one run; the next run compares no row key by key', async () => {
      const targets = await deps.db.syncTarget.findMany({ where: { pipelineId }, select: { id: true } });
      // What sync_state held before native digests (and holds for sources without them).
      const md5 = await deps.pool.query(
        `UPDATE sync_state SET key_bucket = ${sqlKeyBucket('postgres', 'record_key')}, state_digest = ${sqlRowDigest('postgres', 'record_key', 'content_hash')}
         WHERE sync_target_id = ANY($1::text[])`,
        [targets.map((x) => x.id)],
      );
      expect(md5.rowCount).toBe(ROWS);
      // Nor were there bucket summaries then.
      for (const x of targets) await discardSummary(deps.pool, x.id);
      const r = await runOnce();
      expect(r.labels).toEqual([]);
      expect(r.counts).toMatchObject({ queried: ROWS, unchanged: ROWS, added: 0, changed: 0, removed: 0 });
      // With native digests every bucket differs, so every row is merged.
      expect(r.ex.keyByKey).toBe(ROWS);
      const again = await runOnce();
      expect(again.ex.keyByKey).toBe(compared(0, ROWS));
      expect(again.counts).toMatchObject({ queried: ROWS, unchanged: ROWS });
    });

    it('a row whose match value becomes shared is reported invalid, not counted unchanged (with digests, it taints its bucket)', async () => {
      await sql([`UPDATE people SET email = 'user5@example.com' WHERE id = 6`]);
      const r = await runOnce();
      expect(r.counts).toMatchObject({ queried: ROWS, invalid: 2, unchanged: ROWS - 2, added: 0, changed: 0, removed: 0 });
      expect(r.ex.keyByKey).toBeLessThanOrEqual(compared(ROWS / 20, ROWS));
    });

    it('the differing buckets merged a few rows per warehouse query label the same rows, and NULL-key rows are reported once', async () => {
      // Its own pipeline over the same table, with NULL keys for some rows: only the first merge query reads them.
      const key = `CASE WHEN id % 997 = 0 THEN NULL ELSE CAST(id AS ${source.textType}) END`;
      const { pipeline } = await createPipelineWithPlan(deps.db, ids.workspaceId, () => [
        {
          id: 'dest',
          source: { connectionId: ids.sourceId, dialect: source.connector },
          sql: `SELECT ${key} AS ${source.keyColumn}, email, score FROM people`,
          fields: FIELDS.map((f) => ({ ...f })),
          matchField: 'email',
          destination: { connectionId: ids.sinkId, connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} },
        },
      ]);
      const first = await runOnce(pipeline.id);
      // The NULL keys, and the two rows the test above gave one email.
      const invalid = Math.floor(ROWS / 997) + 2;
      expect(first.counts).toMatchObject({ queried: ROWS, invalid });
      await sql([
        `UPDATE people SET score = score + 1 WHERE id IN (11, 12, 13, 1001, 1002, 2500, 3001)`,
        `DELETE FROM people WHERE id IN (20, 3500)`,
        `INSERT INTO people VALUES (${ROWS + 3}, 'new3@example.com', 3.0)`,
      ]);
      // Two rows a query: with digests each differing bucket (about 8 rows) is a query of its own.
      const r = await runOnce(pipeline.id, { ...deps, mergeRowsPerQuery: 2 });
      expect(r.labels).toEqual([
        `added:${ROWS + 3}`,
        ...['1001', '1002', '11', '12', '13', '2500', '3001'].map((k) => `changed:${k}`),
        'removed:20',
        'removed:3500',
      ]);
      // ROWS - 1 rows now, and the two removed ones; the NULL-key rows counted once.
      expect(r.counts).toMatchObject({ queried: ROWS + 1, invalid, unchanged: ROWS + 1 - invalid - 10, added: 1, changed: 7, removed: 2, accepted: 10 });
      if (source.digestsFirst) {
        expect(r.ex.mergeQueries).toBeGreaterThanOrEqual(8);
        expect(r.ex.keyByKey).toBeLessThan(ROWS / 20);
      } else {
        // Without bucket digests one query reads every row.
        expect(r.ex.mergeQueries).toBe(1);
      }
      // The committed state is in step: the next run, in one query, finds nothing to do.
      const again = await runOnce(pipeline.id);
      expect(again.labels).toEqual([]);
      expect(again.counts).toMatchObject({ queried: ROWS - 1, invalid, unchanged: ROWS - 1 - invalid, added: 0, changed: 0, removed: 0 });
      if (source.digestsFirst) expect(again.ex.mergeQueries).toBe(1);
      // The table as it was, for the tests below.
      await sql([
        `UPDATE people SET score = round(id * 1.5, 2) WHERE id IN (11, 12, 13, 1001, 1002, 2500, 3001)`,
        `DELETE FROM people WHERE id = ${ROWS + 3}`,
        `INSERT INTO people VALUES (20, 'user20@example.com', 30.0), (3500, 'user3500@example.com', 5250.0)`,
      ]);
    });

    it('holds mirror deletes when fewer than half of the committed rows come back, counting committed rows once', async () => {
      await sql([`DELETE FROM people WHERE id > ${ROWS / 4}`]);
      const pinned = await pin(deps, { runId: `run_${randomUUID()}`, pipelineId, trigger: 'test' });
      if (!pinned.ok) throw new Error(pinned.reason);
      const t = await loadTarget(deps, pinned.targets[0]!.runTargetId);
      const committed = (await deps.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_state WHERE sync_target_id = $1', [t.syncTargetId])).rows[0]!.n;
      const ex = await extract(deps, t, 'upsert', 1_000);
      // With bucket digests the extract counted the committed rows; diff uses that count instead of counting again.
      expect(ex.committedRows).toBe(source.digestsFirst ? committed : null);
      await deps.db.runTarget.update({ where: { id: t.runTargetId }, data: { phase: 'diff', queried: ex.extracted, unstagedUnchanged: ex.unstagedUnchanged } });
      const d = await diff(deps, t, { objectUpsert: true, labelled: ex.labelled, merged: ex.merged, deletesConfirmed: false, committedRows: ex.committedRows, batchSize: 1_000 });
      const gone = await deps.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_state WHERE sync_target_id = $1 AND CAST(record_key AS int) > $2', [t.syncTargetId, ROWS / 4]);
      expect(d.removed).toBe(gone.rows[0]!.n);
      expect(d.removed).toBeGreaterThan(committed / 2);
      expect(d.heldDeletes).toBe(d.removed);
      expect(d.heldReason).toContain(`fewer than half of the ${committed} synced last time`);
      await finalizeTarget(deps, { runTargetId: t.runTargetId });
      await finalizeRun(deps, pinned.runId);
      // Nothing was deleted: every committed row is still there.
      const after = (await deps.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_state WHERE sync_target_id = $1', [t.syncTargetId])).rows[0]!.n;
      expect(after).toBe(committed);
    });

    it('a query the warehouse refuses fails the extract with the warehouse\'s message, in an incremental run and in a first sync', async () => {
      // Pipelines over a view that goes away after their first sync.
      await sql(['CREATE VIEW people_gone AS SELECT * FROM people']);
      const viewSql = source.pathSql.replace(/\bpeople\b/g, 'people_gone');
      expect(viewSql).not.toBe(source.pathSql);
      const overView = async () =>
        (
          await createPipelineWithPlan(deps.db, ids.workspaceId, () => [
            {
              id: 'dest',
              source: { connectionId: ids.sourceId, dialect: source.connector },
              sql: viewSql,
              fields: FIELDS.map((f) => ({ ...f })),
              matchField: 'email',
              destination: { connectionId: ids.sinkId, connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} },
            },
          ])
        ).pipeline.id;
      const synced = await overView();
      expect((await runOnce(synced)).ex.firstSync).toBe(true);
      await sql(['DROP VIEW people_gone']);
      const extractOf = async (id: string) => {
        const pinned = await pin(deps, { runId: `run_${randomUUID()}`, pipelineId: id, trigger: 'test' });
        if (!pinned.ok) throw new Error(pinned.reason);
        try {
          return await extract(deps, await loadTarget(deps, pinned.targets[0]!.runTargetId), 'upsert', 1_000);
        } finally {
          // As the workflow does when an activity fails: the run ends and lets go of the destination.
          await finalizeRun(deps, pinned.runId, { error: 'extract failed' });
        }
      };
      // Incremental: shared match values and bucket digests (at once, on PostgreSQL) both fail.
      await expect(extractOf(synced)).rejects.toThrow(/people_gone/);
      // First sync: shared keys and shared match values (at once, on PostgreSQL) both fail.
      await expect(extractOf(await overView())).rejects.toThrow(/people_gone/);
    });
  });
}
