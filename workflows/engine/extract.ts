/**
 * extract: stream the path's rows from the warehouse into `run_rows`.
 *
 * Hash-capable dialects (DuckDB, PostgreSQL, MySQL) compute key, content hash
 * and duplicate flags in their own SQL, so only keys and hashes leave the
 * warehouse; payloads follow later for the rows that changed (fetchPayloads).
 * A first sync (nothing committed yet) fetches payloads in the same pass,
 * because every row is new. Other dialects return typed rows that Node hashes.
 */
import type { TPlanPath } from '../compile/plan';
import { RECORD_KEY_COLUMN } from '../compile/plan';
import { canonicalText, contentHash, encodeCanonical, fieldsSignature } from './hash';
import { keysQuery, payloadQuery, typedRowsQuery } from './extract-sql';
import { isHashDialect, type HashDialect } from './sql-dialect';
import { copyLines, linesOf, RUN_ROWS_COPY } from './staging';
import type { EngineDeps, LoadedTarget } from './target';

export const PAYLOAD_KEYS_PER_QUERY = 5_000;
const READ_BATCH = 20_000;

export type ExtractResult = { extracted: number; firstSync: boolean; labelled: boolean };

function csvField(v: string | null): string {
  return v === null ? '' : `"${v.replace(/"/g, '""')}"`;
}

/** Typed rows → CSV lines, hashed in Node (sources without SQL hashing). */
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
      return [t.runTargetId, csvField(key), csvField(match), contentHash(signature, canonical), invalid, csvField(canonical), '', '', ''].join(',');
    });
  }
}

/**
 * @param firstSyncOp the operation for new rows, used to label a first sync in the warehouse.
 */
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
  const first = firstSync && hashInSql ? { op: firstSyncOp, batchSize } : null;

  const client = await deps.pool.connect();
  try {
    // Re-running an extract (after a crash) starts from a clean slate.
    await client.query('DELETE FROM run_rows WHERE run_target_id = $1', [t.runTargetId]);
    await client.query('DELETE FROM run_batches WHERE run_target_id = $1', [t.runTargetId]);
    let seen = 0;
    const progress = async function* <T extends unknown[]>(batches: AsyncIterable<T>) {
      for await (const b of batches) {
        seen += b.length;
        onProgress?.(seen);
        yield b;
      }
    };
    const rows = hashInSql
      ? t.source.connector.read(keysQuery(dialect, t.path, t.runTargetId, first), t.source.ctx, { batchSize: READ_BATCH })
      : t.source.connector.read(typedRowsQuery(t.path), t.source.ctx, { batchSize: READ_BATCH });
    const counter = { rows: 0 };
    const lines = hashInSql ? linesOf(progress(rows), counter) : typedLines(t, progress(rows));
    const copied = await copyLines(client, RUN_ROWS_COPY, lines);
    const extracted = hashInSql ? counter.rows : copied;
    if (!hashInSql) await flagDuplicatesInStaging(client, t.runTargetId);
    return { extracted, firstSync, labelled: first !== null };
  } finally {
    client.release();
  }
}

/** For Node-hashed sources: duplicates are found in staging instead of the warehouse. */
async function flagDuplicatesInStaging(client: { query: (sql: string, params: unknown[]) => Promise<unknown> }, runTargetId: string) {
  await client.query(
    `UPDATE run_rows r SET invalid = 'duplicate_key'
     WHERE r.run_target_id = $1 AND r.invalid IS NULL AND r.record_key IN (
       SELECT record_key FROM run_rows WHERE run_target_id = $1 AND record_key IS NOT NULL GROUP BY record_key HAVING count(*) > 1)`,
    [runTargetId],
  );
  await client.query(
    `UPDATE run_rows r SET invalid = 'duplicate_match'
     WHERE r.run_target_id = $1 AND r.invalid IS NULL AND r.match_value IN (
       SELECT match_value FROM run_rows WHERE run_target_id = $1 AND match_value IS NOT NULL GROUP BY match_value HAVING count(*) > 1)`,
    [runTargetId],
  );
}

/**
 * Second pass for hash-capable sources: fetch match values and payloads of the
 * labelled rows that still lack them. The hash computed in the same query is
 * the one committed: it is the hash of the payload actually sent, even if the
 * warehouse changed since the first pass.
 */
export async function fetchPayloads(deps: EngineDeps, t: LoadedTarget): Promise<{ fetched: number; vanished: number }> {
  const dialect = t.source.connector.capabilities.dialect;
  if (!isHashDialect(dialect) || !t.source.connector.capabilities.sqlHash) return { fetched: 0, vanished: 0 };
  let fetched = 0;
  let lastKey = '';
  const client = await deps.pool.connect();
  try {
    await client.query('CREATE TEMP TABLE IF NOT EXISTS bf_payloads (record_key text, match_value text, content_hash text, payload text) ON COMMIT PRESERVE ROWS');
    for (;;) {
      // Keyset pagination over the rows still missing a payload.
      const page = await client.query<{ record_key: string }>(
        `SELECT record_key FROM run_rows
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
        'COPY bf_payloads (record_key, match_value, content_hash, payload) FROM STDIN WITH (FORMAT csv)',
        linesOf(t.source.connector.read(sql, t.source.ctx, { batchSize: READ_BATCH })),
      );
      await client.query(
        `UPDATE run_rows r SET match_value = p.match_value, content_hash = p.content_hash, payload = p.payload
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
    `UPDATE run_rows SET outcome = 'skipped', error = 'the row disappeared from the warehouse during the run; it will be reconsidered next run'
     WHERE run_target_id = $1 AND label IN ('added', 'changed') AND payload IS NULL`,
    [t.runTargetId],
  );
  return { fetched, vanished: vanished.rowCount ?? 0 };
}

export type { TPlanPath };
