/**
 * extract: stream the path's rows from the warehouse into `run_rows`.
 *
 * Hash-capable dialects (DuckDB, PostgreSQL, MySQL) compute key, content hash
 * and NULL flags in their own SQL, so only keys and hashes leave the
 * warehouse; payloads follow later for the rows that changed (fetchPayloads).
 *   first sync    nothing is committed, so every row is new: payloads come in
 *                 the same pass and every row is staged, labelled 'added'.
 *   incremental   per-bucket digests of keys and hashes are compared with
 *                 the committed ones first, where the dialect gains by it
 *                 (buckets.ts, DialectSql.digestsFirst); then a streaming
 *                 merge by key with the committed state (merge.ts), over the
 *                 buckets that differ, labels rows as it goes and stages only
 *                 the rows that need work; unchanged rows are counted, not
 *                 staged.
 * Other dialects return typed rows that Node hashes; they are all staged and
 * labelled by the SQL diff (diff.ts).
 *
 * Keys and match values that several rows share are read first (knownShared)
 * and written into the main query when there are few. Like the payload pass,
 * this is a separate read of the warehouse: a duplicate created between the
 * two reads is caught by the next run, not this one.
 */
import type { TPlanPath } from '../compile/plan';
import { RECORD_KEY_COLUMN } from '../compile/plan';
import { canonicalText, contentHash, encodeCanonical, fieldsSignature } from './hash';
import type pg from 'pg';
import { bucketBits, committedEstimate, keyBucket, mergeChunks, planBuckets, rowDigest, type BucketChunk, type BucketPlan } from './buckets';
import { discardSummary, holdForBuild, summaryDigests, takeSummary } from './bucket-summary';
import { refreshDigests } from './commit';
import { digestQuery, INLINE_SHARED_MAX, keysQuery, mergeQuery, nativeDigests, payloadQuery, sharedValuesQuery, typedRowsQuery, type KnownShared } from './extract-sql';
import { CommittedChunks, committedDigests, committedState, mergeByKey, splitDigestToken, type CommittedRow, type MergedRow, type MergeTally } from './merge';
import { dialectSql, isHashDialect, type HashDialect } from './sql-dialect';
import { analyzeStaging, copyLines, copyText, createStaging, mergedRowsCopy, runRowsCopy, stagingTable } from './staging';
import type { EngineDeps, LoadedTarget } from './target';

/** Keys per second-pass query: each query is one scan of the path's SQL in the warehouse. */
export const PAYLOAD_KEYS_PER_QUERY = 20_000;
const READ_BATCH = 20_000;

/**
 * The single text column (`l`) of an extract query, in batches: through the
 * source's readText() fast path where it has one, else from read()'s rows.
 */
async function* linesOf(source: LoadedTarget['source'], sql: string, batchSize: number): AsyncIterable<string[]> {
  const { connector, ctx } = source;
  if (connector.readText) {
    for await (const batch of connector.readText(sql, ctx, { batchSize })) {
      yield batch.map((l) => {
        if (l === null) throw new Error('an extract query returned a NULL line (a bug in extract-sql.ts)');
        return l;
      });
    }
    return;
  }
  for await (const batch of connector.read(sql, ctx, { batchSize })) yield batch.map((r) => String(r.l));
}

/**
 * The keys (or match values) several of the path's rows share, or null when
 * there are more than INLINE_SHARED_MAX (the main query then finds them itself).
 */
async function knownShared(t: LoadedTarget, dialect: HashDialect, column: 'key' | 'match'): Promise<string[] | null> {
  const found: string[] = [];
  for await (const batch of linesOf(t.source, sharedValuesQuery(dialect, t.path, column), INLINE_SHARED_MAX + 1)) {
    found.push(...batch);
    // Leaving the loop ends the query.
    if (found.length > INLINE_SHARED_MAX) return null;
  }
  return found;
}

/**
 * The shared keys and match values, read one after the other, or at once on
 * two connections where the dialect gains by it (DialectSql.concurrentReads).
 */
async function knownSharedKeysAndMatches(t: LoadedTarget, dialect: HashDialect): Promise<KnownShared> {
  if (!dialectSql(dialect).concurrentReads) return { key: await knownShared(t, dialect, 'key'), match: await knownShared(t, dialect, 'match') };
  const [key, match] = await bothSettled(knownShared(t, dialect, 'key'), knownShared(t, dialect, 'match'));
  return { key, match };
}

/**
 * Both values, once both promises have settled: a failure is thrown only then,
 * so neither query is still running (or unread) when the extract goes on or fails.
 */
async function bothSettled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

export type ExtractResult = {
  extracted: number;
  firstSync: boolean;
  /** Rows are labelled already (first sync, or merged). */
  labelled: boolean;
  /** The streaming merge labelled the rows, removals included. */
  merged: boolean;
  /** Unchanged rows the merge counted without staging them. */
  unstagedUnchanged: number;
  /**
   * Rows the merge compared key by key: every row, or with bucket digests
   * (buckets.ts) only those of the buckets that differ. Null without a merge.
   */
  keyByKey: number | null;
  /** How many merge queries read those rows from the warehouse (buckets.ts mergeChunks). Null without a merge. */
  mergeQueries: number | null;
  /** The sync target's committed rows when the extract counted them (bucket digests), so diff need not count again. */
  committedRows: number | null;
};

function csvField(v: string | null): string {
  return v === null ? '' : `"${v.replace(/"/g, '""')}"`;
}

/** Typed rows → keys-query lines (STAGING_LINE_COLUMNS), hashed in Node (sources without SQL hashing). */
async function* typedLines(t: LoadedTarget, rows: AsyncIterable<Record<string, unknown>[]>): AsyncIterable<string[]> {
  const signature = fieldsSignature(t.path.fields);
  const matchIndex = t.path.fields.findIndex((f) => f.name === t.path.matchField);
  for await (const batch of rows) {
    yield batch.map((r) => {
      const texts = t.path.fields.map((f) => canonicalText(f.type, r[f.name]));
      const canonical = encodeCanonical(texts);
      const keyRaw = r[RECORD_KEY_COLUMN];
      const key = keyRaw === null || keyRaw === undefined ? null : String(keyRaw);
      const match = texts[matchIndex] ?? null;
      const invalid = key === null ? 'null_key' : match === null ? 'null_match' : '';
      const hash = contentHash(signature, canonical);
      const bucket = key === null ? '' : String(keyBucket(key));
      const digest = key === null ? '' : String(rowDigest(key, hash));
      return [invalid, csvField(key), csvField(match), hash, bucket, digest, csvField(canonical)].join(',');
    });
  }
}

/**
 * COPY text for staging: each line prefixed with the run target id; for a
 * first sync, every row without a NULL flag labelled 'added' with its
 * operation and a batch number in arrival order (duplicates found later leave
 * gaps in their batches), the others left unlabelled. Lines that end alike
 * (same label and batch) are joined in one go, with the suffix and the next
 * prefix as the separator: no string per line, which at a million rows was
 * most of the extract's own work in Node.
 */
async function* stagingText(
  runTargetId: string,
  lines: AsyncIterable<string[]>,
  first: { op: string; batchSize: number } | null,
  counter: { rows: number },
): AsyncIterable<string> {
  const prefix = `${runTargetId},`;
  // A valid line starts with its empty NULL flag, i.e. with ','.
  const labelled = (l: string) => first !== null && l.charCodeAt(0) === 44;
  let valid = 0;
  for await (const batch of lines) {
    counter.rows += batch.length;
    const segments: string[] = [];
    for (let i = 0; i < batch.length; ) {
      let j = i + 1;
      let suffix: string;
      if (first && labelled(batch[i]!)) {
        const batchNo = Math.floor(valid / first.batchSize);
        const room = (batchNo + 1) * first.batchSize - valid;
        while (j < batch.length && j - i < room && labelled(batch[j]!)) j++;
        valid += j - i;
        suffix = `,added,${first.op},${batchNo}`;
      } else {
        while (j < batch.length && !labelled(batch[j]!)) j++;
        suffix = ',,,';
      }
      const run = i === 0 && j === batch.length ? batch : batch.slice(i, j);
      segments.push(`${prefix}${run.join(`${suffix}\n${prefix}`)}${suffix}\n`);
      i = j;
    }
    yield segments.join('');
  }
}

export async function extract(
  deps: EngineDeps,
  t: LoadedTarget,
  firstSyncOp: string,
  batchSize: number,
  onProgress?: (rows: number) => void,
): Promise<ExtractResult> {
  const committed = await deps.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM (SELECT 1 FROM sync_state WHERE sync_target_id = $1 LIMIT 1) s',
    [t.syncTargetId],
  );
  const firstSync = Number(committed.rows[0]?.n ?? 0) === 0;
  const dialect = t.source.connector.capabilities.dialect;
  // A source can share a dialect name yet lack the functions (Redshift reports 'postgres').
  const hashInSql = isHashDialect(dialect) && t.source.connector.capabilities.sqlHash;
  // Runs that compare bucket digests keep a summary of the committed ones
  // (bucket-summary.ts); any other run changes sync_state without it, so it goes.
  const summaries = hashInSql && dialectSql(dialect).digestsFirst;
  if (!summaries) await discardSummary(deps.pool, t.syncTargetId);
  if (hashInSql && !firstSync) return mergeExtract(deps, t, dialect, onProgress);
  // The first sync's finalize sums them for the next run.
  if (summaries) await holdForBuild(deps.pool, t.syncTargetId, t.runTargetId);
  // Without SQL hashing the payload comes along anyway (Node hashes it).
  const withPayload = firstSync || !hashInSql;

  const client = await deps.pool.connect();
  try {
    // Re-running an extract (after a crash) starts from a clean slate.
    await createStaging(client, t.runTargetId);
    const counter = { rows: 0 };
    const progress = async function* <T>(batches: AsyncIterable<T>) {
      for await (const b of batches) {
        yield b;
        onProgress?.(counter.rows);
      }
    };
    const lines = hashInSql
      ? linesOf(
          t.source,
          keysQuery(dialect, t.path, withPayload, await knownSharedKeysAndMatches(t, dialect)),
          READ_BATCH,
        )
      : typedLines(t, t.source.connector.read(typedRowsQuery(t.path), t.source.ctx, { batchSize: READ_BATCH }));
    const first = firstSync ? { op: firstSyncOp, batchSize } : null;
    await copyText(client, runRowsCopy(t.runTargetId), progress(stagingText(t.runTargetId, lines, first, counter)));
    // Fresh statistics, or the planner takes a million staged rows for a handful
    // and joins them to sync_state row by row.
    await analyzeStaging(client, t.runTargetId);
    // Hash-capable warehouses flag duplicates in the keys query itself.
    if (!hashInSql) await flagDuplicates(client, t.runTargetId);
    return { extracted: counter.rows, firstSync, labelled: first !== null, merged: false, unstagedUnchanged: 0, keyByKey: null, mergeQueries: null, committedRows: firstSync ? 0 : null };
  } finally {
    client.release();
  }
}

/** mergedRowsCopy's columns. */
function mergedLine(runTargetId: string, r: MergedRow): string {
  const [bucket, digest] = r.digest ? splitDigestToken(r.digest) : ['', ''];
  const [committedBucket, committedDigest] = r.committed ? splitDigestToken(r.committed) : ['', ''];
  return `${runTargetId},${r.invalid ?? ''},${csvField(r.key)},${r.hash ?? ''},${r.label ?? ''},${csvField(r.externalId)},${csvField(r.match ?? null)},${csvField(r.payload ?? null)},${bucket},${digest},${committedBucket},${committedDigest}`;
}

/**
 * Incremental extract for hash-capable sources: the warehouse's sorted keys and
 * hashes are merged with the committed state while streaming; the rows that
 * need work are staged by COPY. Changed and removed rows carry their
 * committed external id; removed rows then take their match value and last
 * payload from sync_state. With bucket digests, added and changed rows are
 * staged with their match value, payload and row digest from the merge query.
 */
async function mergeExtract(deps: EngineDeps, t: LoadedTarget, dialect: HashDialect, onProgress?: (rows: number) => void): Promise<ExtractResult> {
  const mode = t.path.destination.mode;
  const staging = await deps.pool.connect();
  const reader = await deps.pool.connect();
  let failed = false;
  try {
    await createStaging(staging, t.runTargetId);
    const buckets = dialectSql(dialect).digestsFirst
      ? await digestBuckets(deps, t, dialect, reader)
      : { knownMatches: await knownShared(t, dialect, 'match'), plan: null, committedRows: null, summary: false };
    const knownMatches = buckets.knownMatches;
    // Rows of buckets that agree are extracted and unchanged without being read one by one.
    const tally: MergeTally = { extracted: buckets.plan?.cleanRows ?? 0, unchanged: buckets.plan?.cleanRows ?? 0 };
    // With a bucket plan few rows cross, so payloads come along and the rows
    // that changed need no second pass (fetchPayloads skips rows that have one).
    const payloads = buckets.plan !== null;
    const digests = nativeDigests(dialect);
    const opts = { detectChanges: mode !== 'insert', detectRemovals: mode === 'mirror' || mode === 'add_remove', digests, payloads };
    // The differing buckets are merged a group at a time, so the warehouse's sort stays small at any row count.
    const chunks = buckets.plan ? mergeChunks(buckets.plan, deps.mergeRowsPerQuery) : null;
    const mergeOf = (chunk: BucketChunk | null, committed: AsyncIterable<readonly CommittedRow[]>) =>
      mergeByKey(linesOf(t.source, mergeQuery(dialect, t.path, knownMatches, chunk, payloads), READ_BATCH), committed, opts, tally);
    const merged = (async function* () {
      // Without a bucket plan every row is merged, in one query.
      if (!chunks) return yield* mergeOf(null, committedState(reader, t.syncTargetId, digests));
      // The committed rows of every chunk come in one read.
      const committed = new CommittedChunks(reader, t.syncTargetId, chunks, digests);
      try {
        for (const [i, chunk] of chunks.entries()) yield* mergeOf(chunk, committed.chunk(i));
      } finally {
        await committed.close();
      }
    })();
    let summaryHeld = buckets.summary;
    const lines = async function* () {
      for await (const { rows, stale } of merged) {
        if (stale.length) {
          // Rows the run does not stage change in sync_state: its finalize sums the summary afresh.
          if (summaryHeld) await holdForBuild(deps.pool, t.syncTargetId, t.runTargetId);
          summaryHeld = false;
          await refreshDigests(deps, t.syncTargetId, stale);
        }
        yield rows.map((r) => mergedLine(t.runTargetId, r));
        onProgress?.(tally.extracted);
      }
      onProgress?.(tally.extracted);
    };
    await copyLines(staging, mergedRowsCopy(t.runTargetId), lines());
    await analyzeStaging(staging, t.runTargetId);
    // Removed rows are sent by match key, with their last payload: one index
    // probe each (a correlated subquery), where a join could make the planner
    // hash all of sync_state, whose statistics lag after a big sync.
    await staging.query(
      `UPDATE ${stagingTable(t.runTargetId)} r SET (match_value, payload) = (
         SELECT s.match_value, s.payload FROM sync_state s WHERE s.sync_target_id = $2 AND s.record_key = r.record_key)
       WHERE r.run_target_id = $1 AND r.label = 'removed'`,
      [t.runTargetId, t.syncTargetId],
    );
    const keyByKey = tally.extracted - (buckets.plan?.cleanRows ?? 0);
    return { extracted: tally.extracted, firstSync: false, labelled: true, merged: true, unstagedUnchanged: tally.unchanged, keyByKey, mergeQueries: chunks?.length ?? 1, committedRows: buckets.committedRows };
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // A connection left mid-COPY is closed, not reused.
    reader.release(failed);
    staging.release(failed);
  }
}

/**
 * The shared match values, which buckets of keys the merge must read
 * (buckets.ts; null for every row), and the committed row count.
 *
 * Where the dialect gains by it (DialectSql.concurrentReads), the
 * warehouse's two queries (shared match values, bucket digests) run at once,
 * each on its own connection, the digests counting no value as shared: most
 * runs find none, and the digests are then those of the query that knew.
 * When rows do share one, those rows are invalid and their buckets must
 * differ (they count as tainted), so the digests are read again with the
 * values known.
 */
async function digestBuckets(
  deps: EngineDeps,
  t: LoadedTarget,
  dialect: HashDialect,
  reader: pg.PoolClient,
): Promise<{ knownMatches: string[] | null; plan: BucketPlan | null; committedRows: number; summary: boolean }> {
  // Any bucket size gives the right answer, so an estimate of the committed
  // rows serves to choose it; counting them first (half a second at 1M rows)
  // would hold up both sides. The digests yield the exact count.
  const bits = bucketBits(await estimateCommitted(deps, t, reader));
  // The last run's bucket summary (bucket-summary.ts), else a sum over sync_state.
  const summary = await takeSummary(deps.pool, t.syncTargetId, t.runTargetId, bits);
  const committed = () => startNow(summary ? summaryDigests(reader, t.syncTargetId) : committedDigests(reader, t.syncTargetId, bits));
  const tally = { committedRows: 0 };
  const compare = (knownMatches: string[] | null, committedDigests: AsyncIterable<string[]>) =>
    planBuckets(linesOf(t.source, digestQuery(dialect, t.path, bits, knownMatches), READ_BATCH), committedDigests, bits, tally);
  let knownMatches: string[] | null;
  let plan: BucketPlan | null;
  if (dialectSql(dialect).concurrentReads) {
    const [optimistic, shared] = await bothSettled(compare([], committed()), knownShared(t, dialect, 'match'));
    knownMatches = shared;
    plan = knownMatches === null || knownMatches.length > 0 ? await compare(knownMatches, committed()) : optimistic;
  } else {
    // The control database reads or sums the committed digests while the warehouse looks for shared match values.
    const committedDigests = committed();
    knownMatches = await knownShared(t, dialect, 'match');
    plan = await compare(knownMatches, committedDigests);
  }
  // Without a plan the merge reads every row and stages no committed digests: build a new summary.
  if (summary && plan === null) await holdForBuild(deps.pool, t.syncTargetId, t.runTargetId);
  return { knownMatches, plan, committedRows: tally.committedRows, summary: summary && plan !== null };
}

/**
 * About how many rows the sync target has committed: what the last finished
 * run left valid in the warehouse, or a count when no run finished yet.
 */
async function estimateCommitted(deps: EngineDeps, t: LoadedTarget, reader: pg.PoolClient): Promise<number> {
  const last = await deps.db.runTarget.findFirst({
    where: { syncTargetId: t.syncTargetId, id: { not: t.runTargetId }, finishedAt: { not: null } },
    orderBy: { finishedAt: 'desc' },
    select: { queried: true, removed: true, invalid: true },
  });
  if (last) return committedEstimate(last);
  const r = await reader.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_state WHERE sync_target_id = $1', [t.syncTargetId]);
  return r.rows[0]?.n ?? 0;
}

/**
 * Runs an async generator's first step at once (say, a query that aggregates
 * before its first row), for a consumer that starts later.
 */
function startNow<T>(gen: AsyncGenerator<T>): AsyncGenerator<T> {
  const first = gen.next();
  // A failure surfaces when the consumer reads; unread, it must not crash the process.
  first.catch(() => {});
  return (async function* () {
    const r = await first;
    if (r.done) return;
    yield r.value;
    yield* gen;
  })();
}

/**
 * Every row that shares its key or its match value with another row is invalid:
 * none of them is sent (which of two rows is "right" is not ours to guess).
 * Found in staging, where PostgreSQL aggregates with bounded memory.
 */
async function flagDuplicates(client: { query: (sql: string, params: unknown[]) => Promise<{ rows: unknown[] }> }, runTargetId: string) {
  // Usually there are none: find them first, and touch staging only when needed.
  const found = await client.query(
    `SELECT 'k' AS kind, record_key AS v FROM ${stagingTable(runTargetId)} WHERE run_target_id = $1 AND record_key IS NOT NULL GROUP BY record_key HAVING count(*) > 1
     UNION ALL
     SELECT 'm', match_value FROM ${stagingTable(runTargetId)} WHERE run_target_id = $1 AND match_value IS NOT NULL GROUP BY match_value HAVING count(*) > 1`,
    [runTargetId],
  );
  const rows = found.rows as { kind: 'k' | 'm'; v: string }[];
  if (rows.length === 0) return;
  const keys = rows.filter((r) => r.kind === 'k').map((r) => r.v);
  const matches = rows.filter((r) => r.kind === 'm').map((r) => r.v);
  await client.query(
    `UPDATE ${stagingTable(runTargetId)} r
     SET invalid = CASE WHEN r.record_key = ANY($2::text[]) THEN 'duplicate_key' ELSE 'duplicate_match' END,
         label = NULL, op = NULL, batch_no = NULL
     WHERE r.run_target_id = $1 AND r.invalid IS NULL AND (r.record_key = ANY($2::text[]) OR r.match_value = ANY($3::text[]))`,
    [runTargetId, keys, matches],
  );
}

/**
 * Second pass for hash-capable sources: fetch match values and payloads of the
 * labelled rows that still lack them. The hash computed in the same query is
 * the one committed: it is the hash of the payload actually sent, even if the
 * warehouse changed since the first pass; so are the bucket and row digest.
 */
export async function fetchPayloads(deps: EngineDeps, t: LoadedTarget): Promise<{ fetched: number; vanished: number }> {
  const dialect = t.source.connector.capabilities.dialect;
  if (!isHashDialect(dialect) || !t.source.connector.capabilities.sqlHash) return { fetched: 0, vanished: 0 };
  let fetched = 0;
  let lastKey = '';
  const client = await deps.pool.connect();
  try {
    await client.query('CREATE TEMP TABLE IF NOT EXISTS bf_payloads (record_key text, match_value text, content_hash text, key_bucket int, state_digest bigint, payload text) ON COMMIT PRESERVE ROWS');
    for (;;) {
      // Keyset pagination over the rows still missing a payload.
      const page = await client.query<{ record_key: string }>(
        `SELECT record_key FROM ${stagingTable(t.runTargetId)}
         WHERE run_target_id = $1 AND label IN ('added', 'changed') AND payload IS NULL AND record_key > $2
         ORDER BY record_key LIMIT ${PAYLOAD_KEYS_PER_QUERY}`,
        [t.runTargetId, lastKey],
      );
      if (page.rows.length === 0) break;
      lastKey = page.rows[page.rows.length - 1]!.record_key;
      await client.query('TRUNCATE bf_payloads');
      const sql = payloadQuery(dialect as HashDialect, t.path, page.rows.map((r) => r.record_key));
      fetched += await copyLines(
        client,
        'COPY bf_payloads (record_key, match_value, content_hash, key_bucket, state_digest, payload) FROM STDIN WITH (FORMAT csv)',
        linesOf(t.source, sql, READ_BATCH),
      );
      // Statistics for the fresh temp table, or the planner joins it row by row.
      await client.query('ANALYZE bf_payloads');
      await client.query(
        `UPDATE ${stagingTable(t.runTargetId)} r SET match_value = p.match_value, content_hash = p.content_hash, payload = p.payload, key_bucket = p.key_bucket, state_digest = p.state_digest
         FROM bf_payloads p WHERE r.run_target_id = $1 AND r.record_key = p.record_key AND r.label IN ('added', 'changed')`,
        [t.runTargetId],
      );
    }
    await client.query('DROP TABLE IF EXISTS bf_payloads');
  } finally {
    client.release();
  }
  // Rows deleted from the warehouse between the two passes have no payload: skip them.
  const vanished = await deps.pool.query(
    `UPDATE ${stagingTable(t.runTargetId)} SET outcome = 'skipped', error = 'the row disappeared from the warehouse during the run; it will be reconsidered next run'
     WHERE run_target_id = $1 AND label IN ('added', 'changed') AND payload IS NULL`,
    [t.runTargetId],
  );
  return { fetched, vanished: vanished.rowCount ?? 0 };
}

export type { TPlanPath };
