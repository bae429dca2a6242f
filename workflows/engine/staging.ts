/**
 * Staging: one UNLOGGED table per run target, `run_rows_<run target id>`,
 * shaped like the `run_rows` template table (prisma/schema.prisma RunRow).
 *
 * The extract creates it and finalize drops it, so a purge of a run's staged
 * rows (personal data) is instant and leaves no dead rows for later runs to
 * scan. Separate tables, not partitions of one: attaching or detaching a
 * partition waits for every transaction using the parent, so one pipeline's
 * long extract would hold up every other run's start and finish.
 *
 * Rows stream in with COPY … FROM STDIN (FORMAT csv), with backpressure, so
 * memory stays flat whatever the row count.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { STAGING_LINE_COLUMNS } from './extract-sql';

/** Line layout: run target id, then STAGING_LINE_COLUMNS (extract-sql.ts), then first-sync label, op, batch. */
export function runRowsCopy(runTargetId: string): string {
  return `COPY ${stagingTable(runTargetId)} (run_target_id, ${STAGING_LINE_COLUMNS.join(', ')}, label, op, batch_no) FROM STDIN WITH (FORMAT csv)`;
}

/** An incremental merge's rows (extract.ts mergedLine). */
export function mergedRowsCopy(runTargetId: string): string {
  return `COPY ${stagingTable(runTargetId)} (run_target_id, invalid, record_key, content_hash, label, external_id, match_value, payload, key_bucket, state_digest, committed_bucket, committed_digest) FROM STDIN WITH (FORMAT csv)`;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const PREFIX = 'run_rows_';

/** The quoted name of a run target's staging table. */
export function stagingTable(runTargetId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(runTargetId)) throw new Error(`run target id ${JSON.stringify(runTargetId)} cannot name a staging table`);
  return `"${PREFIX}${runTargetId}"`;
}

/** A fresh, empty staging table for the run target (a re-run extract starts clean). */
export async function createStaging(db: Queryable, runTargetId: string): Promise<void> {
  await dropStaging(db, runTargetId);
  await ensureStaging(db, runTargetId);
}

/**
 * The run target's staging table, empty when the extract never ran (finalize
 * after an early failure). Autovacuum leaves it alone: the table lives for one
 * run and the engine analyzes it when it needs statistics (analyzeStaging).
 * A vacuum of a million staged rows otherwise started during delivery, took
 * CPU from it, and held up finalize's DROP for a second (deadlock_timeout)
 * until PostgreSQL cancelled it. Anti-wraparound vacuums still run.
 */
export async function ensureStaging(db: Queryable, runTargetId: string): Promise<void> {
  await db.query(
    `CREATE UNLOGGED TABLE IF NOT EXISTS ${stagingTable(runTargetId)} (LIKE run_rows INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)
     WITH (autovacuum_enabled = false, toast.autovacuum_enabled = false)`,
  );
}

/** Fresh planner statistics for one run target's staged rows. */
export async function analyzeStaging(db: Queryable, runTargetId: string): Promise<void> {
  await db.query(`ANALYZE ${stagingTable(runTargetId)}`);
}

/** Drops a run target's staging and its batch marks, if any. */
export async function dropStaging(db: Queryable, runTargetId: string): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS ${stagingTable(runTargetId)}`);
  await db.query(`DELETE FROM run_batches WHERE run_target_id = $1`, [runTargetId]);
}

/**
 * Drops staging left by run targets that are finished or gone (a run whose
 * workflow was terminated never reaches its own finalize).
 */
export async function sweepStaging(db: Queryable): Promise<number> {
  const stale = await db.query<{ id: string }>(
    `SELECT substr(c.relname, length($1) + 1) AS id
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind = 'r' AND starts_with(c.relname, $1)
       AND NOT EXISTS (SELECT 1 FROM "RunTarget" t WHERE t.id = substr(c.relname, length($1) + 1) AND t.phase <> 'done')`,
    [PREFIX],
  );
  for (const r of stale.rows) await dropStaging(db, r.id);
  return stale.rows.length;
}

/**
 * Adds the columns the run_rows template gained since a staging table was
 * created LIKE it (runs in flight across an upgrade), with the template's
 * types, so this version's queries find them. Workers run it at start-up;
 * returns how many tables changed.
 */
export async function upgradeStaging(db: Queryable): Promise<number> {
  const missing = await db.query<{ id: string; columns: string[] }>(
    `SELECT substr(c.relname, length($1) + 1) AS id,
            array_agg(format('%I %s', t.attname, format_type(t.atttypid, t.atttypmod)) ORDER BY t.attnum) AS columns
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute t ON t.attrelid = 'run_rows'::regclass AND t.attnum > 0 AND NOT t.attisdropped
     WHERE n.nspname = current_schema() AND c.relkind = 'r' AND starts_with(c.relname, $1)
       AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = t.attname AND NOT a.attisdropped)
     GROUP BY c.relname`,
    [PREFIX],
  );
  for (const { id, columns } of missing.rows) {
    await db.query(`ALTER TABLE ${stagingTable(id)} ${columns.map((c) => `ADD COLUMN IF NOT EXISTS ${c}`).join(', ')}`);
  }
  return missing.rows.length;
}

/** Writes every line (without trailing newline) of every batch; returns the line count. */
export async function copyLines(client: pg.PoolClient, sql: string, batches: AsyncIterable<readonly string[]>): Promise<number> {
  let count = 0;
  await copyText(
    client,
    sql,
    (async function* () {
      for await (const batch of batches) {
        if (batch.length === 0) continue;
        count += batch.length;
        yield `${batch.join('\n')}\n`;
      }
    })(),
  );
  return count;
}

/** Writes text chunks, each of whole newline-terminated lines, with backpressure. */
export async function copyText(client: pg.PoolClient, sql: string, chunks: AsyncIterable<string>): Promise<void> {
  const stream = client.query(copyFrom(sql));
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
    for await (const chunk of chunks) {
      if (failure) throw failure;
      if (chunk.length === 0) continue;
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
}
