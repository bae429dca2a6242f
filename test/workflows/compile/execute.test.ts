/**
 * Compiled plans on real warehouses: the plan SQL of a pipeline runs on DuckDB,
 * PostgreSQL and MariaDB and returns the rows the reference executor computes;
 * hostile identifiers and values compile into harmless SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldType } from '../../../connectors/sdk/types';
import { compileGraph, compileNodeSql } from '../../../workflows/compile/compile';
import { literal } from '../../../workflows/compile/expr/sql';
import type { Row, Value } from '../../../workflows/compile/expr/evaluate';
import { RECORD_KEY_COLUMN } from '../../../workflows/compile/plan';
import type { TColumn } from '../../../workflows/graph/columns';
import { ALL_ENGINES, type Engine } from '../helpers/engines';
import { CUSTOMER_COLUMNS, customersPipeline, DEST_ID, graphOf, node, SOURCE_ID, testEnv } from '../helpers/graphs';
import { runReference, sortByKey } from '../helpers/reference';

const NOW = '2025-03-15 12:00:00';
// Short: MariaDB limits table and column names to 64 characters.
const SUFFIX = `${(process.pid % 100000).toString(36)}${Date.now().toString(36).slice(-5)}`;
const CUSTOMERS = `bf_exec_customers_${SUFFIX}`;
const CANARY = `bfc_${SUFFIX}`;
const HOSTILE_TABLE = `i"; DROP TABLE ${CANARY}; --\`'${SUFFIX}`;

const SQL_TYPES: Record<string, Record<FieldType, string>> = {
  duckdb: { integer: 'BIGINT', number: 'DOUBLE', string: 'VARCHAR', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP', json: 'JSON', string_array: 'VARCHAR[]' },
  postgres: { integer: 'BIGINT', number: 'DOUBLE PRECISION', string: 'TEXT', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP', json: 'JSONB', string_array: 'TEXT[]' },
  mysql: { integer: 'BIGINT', number: 'DOUBLE', string: 'VARCHAR(200) CHARACTER SET utf8mb4', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'DATETIME(6)', json: 'TEXT', string_array: 'TEXT' },
};

const customerRows: Row[] = [
  { customer_id: 1, first_name: 'Ada', last_name: 'Lovelace', email: '  Ada@Example.COM ', country: 'GB', signup_date: '2020-01-05', plan: 'pro', marketing_opt_in: true },
  { customer_id: 2, first_name: null, last_name: "O'Brien", email: 'obrien@example.org', country: "O'Land", signup_date: '2019-07-01', plan: 'free', marketing_opt_in: true },
  { customer_id: 3, first_name: 'Zoë', last_name: 'Ünal', email: 'zoe@example.de', country: 'DE', signup_date: '2025-02-20', plan: 'business', marketing_opt_in: true },
  { customer_id: 4, first_name: 'Bob', last_name: 'Smith', email: null, country: 'US', signup_date: '2025-03-01', plan: 'starter', marketing_opt_in: true },
  { customer_id: 5, first_name: 'Eve', last_name: 'Adams', email: 'eve@example.com', country: 'US', signup_date: '2024-12-31', plan: 'pro', marketing_opt_in: false },
  { customer_id: 6, first_name: 'Li', last_name: 'Wei', email: 'li@example.cn', country: 'CN', signup_date: '2023-01-01', plan: 'free', marketing_opt_in: true },
  { customer_id: 7, first_name: 'Ana', last_name: 'Silva', email: 'ANA@EXAMPLE.BR', country: null, signup_date: '2025-01-10', plan: null, marketing_opt_in: true },
];

function createTable(e: Engine, table: string, columns: TColumn[]): string {
  const d = e.dialect;
  const t = SQL_TYPES[d.name]!;
  return `CREATE TABLE ${d.quoteIdent(table)} (${columns.map((c) => `${d.quoteIdent(c.name)} ${t[c.type]}`).join(', ')})`;
}

function insert(e: Engine, table: string, columns: TColumn[], rows: Row[]): string {
  const d = e.dialect;
  return `INSERT INTO ${d.quoteIdent(table)} (${columns.map((c) => d.quoteIdent(c.name)).join(', ')}) VALUES ${rows
    .map((r) => `(${columns.map((c) => literal(c.type, r[c.name] ?? null, d)).join(', ')})`)
    .join(', ')}`;
}

function normalize(v: unknown, type: FieldType): Value {
  if (v === null || v === undefined) return null;
  if (type === 'integer' || type === 'number') return Number(v);
  if (type === 'boolean') return typeof v === 'boolean' ? v : Number(v) !== 0;
  if (type === 'date') return String(v).slice(0, 10);
  if (type === 'timestamp') return String(v).replace('T', ' ').slice(0, 19);
  return String(v);
}

describe('compiled plans on DuckDB, PostgreSQL and MariaDB', () => {
  const engines: Engine[] = [];

  beforeAll(async () => {
    for (const make of ALL_ENGINES) engines.push(await make());
    for (const e of engines) {
      await e.run(createTable(e, CUSTOMERS, CUSTOMER_COLUMNS));
      await e.run(insert(e, CUSTOMERS, CUSTOMER_COLUMNS, customerRows));
      await e.run(`CREATE TABLE ${e.dialect.quoteIdent(CANARY)} (${e.dialect.quoteIdent('id')} INTEGER)`);
    }
  });

  afterAll(async () => {
    for (const e of engines) {
      for (const t of [CUSTOMERS, CANARY, HOSTILE_TABLE]) await e.run(`DROP TABLE IF EXISTS ${e.dialect.quoteIdent(t)}`).catch(() => {});
      await e.close();
    }
  });

  it('each engine returns the reference rows for the plan SQL', async () => {
    const graph = customersPipeline({ sql: `SELECT * FROM ${CUSTOMERS}` });
    const expected = sortByKey(runReference(graph, 'd1', customerRows, testEnv({ now: NOW })));
    // Opted in, has an email, and (US/GB/O'Land or signed up in the last 90 days): 1, 2, 3, 7.
    expect(expected.map((r) => r[RECORD_KEY_COLUMN])).toEqual(['1', '2', '3', '7']);
    expect(expected[0]).toMatchObject({ email: 'ada@example.com', lifecycle: 'customer', country: 'GB' });
    for (const e of engines) {
      const r = compileGraph(graph, 'p', testEnv({ dialect: e.dialect.name, now: NOW }));
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      const path = r.plan.paths[0]!;
      const rows = await e.run(path.sql);
      // The contract: the key column first, then one column per field, in order.
      expect(Object.keys(rows[0]!)).toEqual([RECORD_KEY_COLUMN, ...path.fields.map((f) => f.name)]);
      const got = sortByKey(
        rows.map((row) => {
          const out: Record<string, Value> = { [RECORD_KEY_COLUMN]: normalize(row[RECORD_KEY_COLUMN], 'string') };
          for (const f of path.fields) out[f.name] = normalize(row[f.name], f.type);
          return out;
        }),
      );
      expect(got, e.name).toEqual(expected);
    }
  });

  it('previews any node with the SQL up to it', async () => {
    const graph = customersPipeline({ sql: `SELECT * FROM ${CUSTOMERS}` });
    for (const e of engines) {
      const r = compileNodeSql(graph, 't1', testEnv({ dialect: e.dialect.name, now: NOW }));
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      expect(r.kind).toBe('rows');
      expect(r.columns.map((c) => c.name)).toContain('email_hash');
      const rows = await e.run(e.dialect.limit(r.sql, 2));
      expect(rows.length, e.name).toBe(2);
      expect(Object.keys(rows[0]!)).toEqual(r.columns.map((c) => c.name));
    }
  });

  it('quotes hostile identifiers and values so they stay data', async () => {
    const evil = [
      { name: 'id', type: 'integer' as const },
      { name: `x"; DROP TABLE ${CANARY}; --`, type: 'string' as const },
      { name: `y\`; DROP TABLE ${CANARY}; --`, type: 'string' as const },
      { name: `z'; DROP TABLE ${CANARY}; --\\`, type: 'string' as const },
    ];
    const payload = `'; DROP TABLE ${CANARY}; --`;
    const backslashed = `\\'; DROP TABLE ${CANARY}; -- \\`;
    const rows: Row[] = [
      { id: 1, [evil[1]!.name]: payload, [evil[2]!.name]: backslashed, [evil[3]!.name]: 'plain' },
      { id: 2, [evil[1]!.name]: 'other', [evil[2]!.name]: null, [evil[3]!.name]: 'x' },
    ];
    const quotedInExpr = `"${evil[1]!.name.replace(/"/g, '""')}"`;
    const graph = graphOf(
      [
        node('q1', 'query', { connectionId: SOURCE_ID, source: { kind: 'table', table: HOSTILE_TABLE }, primaryKey: ['id', evil[3]!.name] }),
        node('f1', 'filter', { match: 'any', groups: [{ match: 'any', conditions: [{ column: evil[1]!.name, operator: 'eq', value: payload }, { column: evil[2]!.name, operator: 'in', values: [backslashed, `"; DROP TABLE ${CANARY}; --`] }] }] }),
        node('t1', 'transform', { columns: [{ name: `w"; DROP TABLE ${CANARY}; --`, expression: `concat(${quotedInExpr}, '\\''', '--')` }] }),
        node('m1', 'map', {
          mappings: [
            { field: `email"; DROP TABLE ${CANARY}; --`, source: { kind: 'column', column: `w"; DROP TABLE ${CANARY}; --` } },
            { field: 'note', source: { kind: 'static', value: backslashed } },
          ],
          matchField: `email"; DROP TABLE ${CANARY}; --`,
        }),
        node('d1', 'destination', { connectionId: DEST_ID, connector: 'test-crm', object: 'contacts', mode: 'upsert', options: {} }),
      ],
      [
        ['q1', 'f1'],
        ['f1', 't1'],
        ['t1', 'm1'],
        ['m1', 'd1'],
      ],
    );
    for (const e of engines) {
      await e.run(createTable(e, HOSTILE_TABLE, evil));
      await e.run(insert(e, HOSTILE_TABLE, evil, rows));
      const r = compileGraph(graph, 'p', testEnv({ dialect: e.dialect.name, columns: { q1: evil } }));
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      const out = await e.run(r.plan.paths[0]!.sql);
      expect(out.length, e.name).toBe(1);
      expect(out[0]![`email"; DROP TABLE ${CANARY}; --`], e.name).toBe(`${payload}\\'--`);
      expect(out[0]!.note, e.name).toBe(backslashed);
      expect(out[0]![RECORD_KEY_COLUMN], e.name).toBe('1:1,5:plain');
      // The canary survived every statement.
      expect(await e.run(`SELECT COUNT(*) AS n FROM ${e.dialect.quoteIdent(CANARY)}`), e.name).toHaveLength(1);
    }
  });
});
