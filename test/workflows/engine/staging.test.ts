/**
 * Staging tables on real PostgreSQL: autovacuum is off for them (table and
 * TOAST), because the engine analyzes them itself and an autovacuum holding a
 * staging table delays finalize's DROP by deadlock_timeout.
 */
import { describe, expect, it } from 'vitest';
import { createStaging, dropStaging, stagingTable } from '../../../workflows/engine/staging';
import { testPool } from '../../helpers/db';

describe('staging tables', () => {
  it('are created with autovacuum off for the table and its TOAST table', async () => {
    const pool = testPool();
    const id = `staging-test-${process.pid}`;
    await createStaging(pool, id);
    const r = await pool.query<{ table: string[] | null; toast: string[] | null }>(
      `SELECT c.reloptions AS table, t.reloptions AS toast FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
       WHERE c.oid = $1::regclass`,
      [stagingTable(id)],
    );
    await dropStaging(pool, id);
    expect(r.rows[0]!.table).toContain('autovacuum_enabled=false');
    expect(r.rows[0]!.toast).toContain('autovacuum_enabled=false');
  });
});
