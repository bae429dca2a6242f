/**
 * The benchmark's model: a customers table of N rows whose columns derive from
 * the row id (the same in DuckDB and PostgreSQL), the eight mapped fields, and
 * the 1% change an incremental run must find. Shared by `npm run bench` and
 * scripts/profile-engine.ts.
 */
import { createHash } from 'node:crypto';
import { RECORD_KEY_COLUMN } from '../../workflows/compile/plan';

export const TABLE = 'bench_customers';
export const FIELDS = [
  { name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
  { name: 'first_name', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
  { name: 'country', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
  { name: 'lifetime_value', type: 'number', whenNull: 'send_null', onlyIfEmpty: false },
  { name: 'orders', type: 'integer', whenNull: 'send_null', onlyIfEmpty: false },
  { name: 'churn_risk', type: 'number', whenNull: 'send_null', onlyIfEmpty: false },
  { name: 'vip', type: 'boolean', whenNull: 'send_null', onlyIfEmpty: false },
  { name: 'signed_up_at', type: 'timestamp', whenNull: 'send_null', onlyIfEmpty: false },
] as const;

export function planSql(dialect: 'duckdb' | 'postgres'): string {
  const cast = dialect === 'duckdb' ? 'VARCHAR' : 'TEXT';
  return `SELECT CAST(id AS ${cast}) AS "${RECORD_KEY_COLUMN}", ${FIELDS.map((f) => `"${f.name}"`).join(', ')} FROM ${TABLE}`;
}

/** Deterministic columns from the row id, the same in both warehouses. */
export function modelSelect(dialect: 'duckdb' | 'postgres', from: number, to: number): string {
  const series = dialect === 'duckdb' ? `range(${from}, ${to}) t(id)` : `generate_series(${from}::BIGINT, ${to - 1}) AS t(id)`;
  const countries = `(ARRAY['US','GB','DE','FR','ES','IT','NL','SE','PL','BR'])`;
  const idx = dialect === 'duckdb' ? `${countries}[1 + (id % 10)::INTEGER]` : `${countries}[1 + (id % 10)::INTEGER]`;
  return `SELECT id::BIGINT AS id, 'user' || id || '@example.com' AS email, 'Name' || (id % 997) AS first_name, ${idx} AS country,
    round(((id * 7919) % 100000) / 37.0, 2)::DECIMAL(12, 2) AS lifetime_value, (id % 53)::INTEGER AS orders,
    round(((id * 104729) % 1000) / 1000.0, 3)::DOUBLE PRECISION AS churn_risk, (id % 7 = 0) AS vip,
    TIMESTAMP '2024-01-01 00:00:00' + (id % 86400) * INTERVAL '1 second' AS signed_up_at FROM ${series}`.replace(/DOUBLE PRECISION/g, dialect === 'duckdb' ? 'DOUBLE' : 'DOUBLE PRECISION');
}

export type Change = { updates: number[]; inserts: number[]; deletes: number[] };

/** 1% of N: 60% updates of mapped columns, 20% inserts, 20% deletes, on pseudo-random keys. */
export function plannedChange(n: number): Change {
  const total = Math.max(10, Math.round(n / 100));
  const pick = (count: number, salt: string, taken: Set<number>) => {
    const out: number[] = [];
    for (let i = 0; out.length < count; i++) {
      const h = createHash('md5').update(`${salt}${i}`).digest().readUInt32BE(0);
      const id = 1 + (h % n);
      if (!taken.has(id)) {
        taken.add(id);
        out.push(id);
      }
    }
    return out;
  };
  const taken = new Set<number>();
  const updates = pick(Math.round(total * 0.6), 'u', taken);
  const deletes = pick(Math.round(total * 0.2), 'd', taken);
  const inserts = Array.from({ length: total - updates.length - deletes.length }, (_, i) => n + 1 + i);
  return { updates, inserts, deletes };
}

export function changeStatements(dialect: 'duckdb' | 'postgres', n: number, c: Change): string[] {
  return [
    `UPDATE ${TABLE} SET lifetime_value = lifetime_value + 1, churn_risk = 0.999 WHERE id IN (${c.updates.join(',')})`,
    `DELETE FROM ${TABLE} WHERE id IN (${c.deletes.join(',')})`,
    `INSERT INTO ${TABLE} ${modelSelect(dialect, n + 1, n + 1 + c.inserts.length)}`,
  ];
}
