/**
 * Staging: `run_rows`, partitioned by run target.
 *
 * Each run target stages into its own UNLOGGED partition, created by the
 * extract and dropped when the target is finalized, so a purge is instant and
 * leaves no dead rows for later runs to scan. Partitions are attached and
 * detached CONCURRENTLY-friendly (ATTACH takes no lock that blocks other runs'
 * reads and writes; DETACH … CONCURRENTLY neither), because fan-out targets and
 * other pipelines stage at the same time.
 *
 * Rows stream in with COPY … FROM STDIN (FORMAT csv), with backpressure, so
 * memory stays flat whatever the row count.
 */
import type pg from 'pg';
import type { LoadedTarget } from './target';
import { from as copyFrom } from 'pg-copy-streams';

/** Line layout: run target id, then STAGING_LINE_COLUMNS (extract-sql.ts), then first-sync label, op, batch. */
export const RUN_ROWS_COPY =
  'COPY run_rows (run_target_id, invalid, record_key, match_value, content_hash, payload, label, op, batch_no) FROM STDIN WITH (FORMAT csv)';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** The partition holding a run target's staged rows. */
export function stagingTable(runTargetId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(runTargetId)) throw new Error(`run target id ${JSON.stringify(runTargetId)} cannot name a staging table`);
  return `"run_rows_${runTargetId}"`;
}

/** A fresh, empty staging partition for the run target (a re-run extract starts clean). */
export async function createStaging(db: Queryable, runTargetId: string): Promise<void> {
  await dropStaging(db, runTargetId);
  const table = stagingTable(runTargetId);
  await db.query(`CREATE UNLOGGED TABLE ${table} (LIKE run_rows INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
  await db.query(`ALTER TABLE run_rows ATTACH PARTITION ${table} FOR VALUES IN ('${runTargetId}')`);
  await db.query(`DELETE FROM run_batches WHERE run_target_id = $1`, [runTargetId]);
}

/** Fresh planner statistics for one run target's staged rows. */
export async function analyzeStaging(db: Queryable, runTargetId: string): Promise<void> {
  await db.query(`ANALYZE ${stagingTable(runTargetId)}`);
}

/** Drops a run target's staging (its rows hold personal data), if any. */
export async function dropStaging(db: Queryable, runTargetId: string): Promise<void> {
  const table = stagingTable(runTargetId);
  const found = await db.query<{ attached: boolean; pending: boolean }>(
    `SELECT i.inhrelid IS NOT NULL AS attached, coalesce(i.inhdetachpending, false) AS pending
     FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
     WHERE c.oid = to_regclass($1)`,
    [table],
  );
  const row = found.rows[0];
  if (!row) return;
  if (row.pending) await db.query(`ALTER TABLE run_rows DETACH PARTITION ${table} FINALIZE`);
  else if (row.attached) await db.query(`ALTER TABLE run_rows DETACH PARTITION ${table} CONCURRENTLY`);
  await db.query(`DROP TABLE IF EXISTS ${table}`);
  await db.query(`DELETE FROM run_batches WHERE run_target_id = $1`, [runTargetId]);
}

/**
 * Drops staging left by run targets that are finished or gone (a run whose
 * workflow was terminated never reaches its own finalize).
 */
export async function sweepStaging(db: Queryable): Promise<number> {
  const stale = await db.query<{ id: string }>(
    `SELECT substr(c.relname, length('run_rows_') + 1) AS id
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'run_rows'::regclass
       AND NOT EXISTS (SELECT 1 FROM "RunTarget" t WHERE t.id = substr(c.relname, length('run_rows_') + 1) AND t.phase <> 'done')`,
  );
  for (const r of stale.rows) await dropStaging(db, r.id);
  return stale.rows.length;
}

/** An incremental merge's rows (extract.ts mergedLine). */
export const MERGED_ROWS_COPY = 'COPY run_rows (run_target_id, invalid, record_key, content_hash, label, external_id) FROM STDIN WITH (FORMAT csv)';

/** Writes every line (without trailing newline) of every batch; returns the line count. */
export async function copyLines(client: pg.PoolClient, sql: string, batches: AsyncIterable<readonly string[]>): Promise<number> {
  const stream = client.query(copyFrom(sql));
  let count = 0;
  let failure: Error | null = null;
  const failed = new Promise<never>((_, reject) => {
    stream.once('error', (err: Error) => {
      failure = err;
      reject(err);
    });
  });
  failed.catch(() => {});
  const finished = new Promise<void>((resolve) => stream.once('finish', () => resolve()));
  try {
    for await (const batch of batches) {
      if (failure) throw failure;
      if (batch.length === 0) continue;
      count += batch.length;
      const chunk = `${batch.join('\n')}\n`;
      if (!stream.write(chunk)) {
        await Promise.race([new Promise<void>((resolve) => stream.once('drain', () => resolve())), failed]);
      }
    }
    stream.end();
    await Promise.race([finished, failed]);
  } catch (err) {
    stream.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  return count;
}

/**
 * The single text column (`l`) of an extract query, in batches: through the
 * source's readText() fast path where it has one, else from read()'s rows.
 */
export async function* linesOf(source: LoadedTarget['source'], sql: string, batchSize: number): AsyncIterable<string[]> {
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
