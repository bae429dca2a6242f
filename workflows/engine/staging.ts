/**
 * Streaming rows into PostgreSQL staging with COPY … FROM STDIN (FORMAT csv),
 * with backpressure, so memory stays flat whatever the row count.
 */
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Line layout: run target id, then STAGING_LINE_COLUMNS (extract-sql.ts), then first-sync label, op, batch. */
export const RUN_ROWS_COPY =
  'COPY run_rows (run_target_id, invalid, record_key, match_value, content_hash, payload, label, op, batch_no) FROM STDIN WITH (FORMAT csv)';

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

/** Extracts the single `l` column the extract queries return. */
export async function* linesOf(rows: AsyncIterable<Record<string, unknown>[]>): AsyncIterable<string[]> {
  for await (const batch of rows) yield batch.map((r) => String(r.l));
}
