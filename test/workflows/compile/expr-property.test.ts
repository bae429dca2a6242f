/**
 * Property test: one semantics, four implementations. Random well-typed
 * expressions over random rows (≥ 20% NULLs, frozen now()) must give the same
 * values on DuckDB, PostgreSQL, MariaDB and the JS evaluator.
 *
 * Prints its seed (re-run with BF_PROPERTY_SEED=<seed>) and how often each
 * operator was covered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldType } from '../../../connectors/sdk/types';
import { walk, type TExpr } from '../../../workflows/compile/expr/ast';
import { checkExpression } from '../../../workflows/compile/expr/check';
import { evaluate, type Value } from '../../../workflows/compile/expr/evaluate';
import { emitSql, literal } from '../../../workflows/compile/expr/sql';
import type { Dialect } from '../../../workflows/compile/dialects';
import { duckEngine, mariaEngine, pgEngine, type Engine } from '../helpers/engines';
import { COLUMNS, Gen, mulberry32, type GenType } from './expr-gen';
import { propertySeed } from './seed';

const EXPRESSIONS = 1000;
const ROWS = 30;
const NULL_RATE = 0.3;
const BATCH = 40;
const NOW = '2025-03-15 12:34:56';
const TABLE = `bf_prop_${process.pid}`;

type Case = { text: string; expr: TExpr; type: FieldType };

const seed = propertySeed();
const gen = new Gen(mulberry32(seed));
const rows = Array.from({ length: ROWS }, (_, i) => gen.row(i + 1, NULL_RATE));
const columns = COLUMNS.map((c) => ({ name: c.name, type: c.type }));

function makeCases(): Case[] {
  const types: GenType[] = ['integer', 'number', 'string', 'boolean', 'date', 'timestamp'];
  const out: Case[] = [];
  for (let i = 0; i < EXPRESSIONS; i++) {
    const type = types[i % types.length]!;
    const text = gen.expr(type, gen.int(1, 4));
    const checked = checkExpression(text, columns);
    if (!checked.ok) throw new Error(`generator produced an ill-typed expression: ${text}\n${checked.error.message}`);
    out.push({ text, expr: checked.expr, type: checked.expr.type });
  }
  return out;
}

const cases = makeCases();

// ── normalisation of what each driver returns ──
function normalize(v: unknown, type: FieldType): Value {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'integer':
    case 'number': {
      const n = typeof v === 'bigint' ? Number(v) : Number(v);
      return n === 0 ? 0 : n;
    }
    case 'boolean':
      return typeof v === 'boolean' ? v : Number(v) !== 0;
    case 'date':
      return String(v).slice(0, 10);
    case 'timestamp': {
      const s = String(v).replace('T', ' ');
      const base = s.slice(0, 19);
      const frac = s.length > 20 ? s.slice(20).replace(/[^0-9]/g, '').padEnd(6, '0').slice(0, 6) : '000000';
      return frac === '000000' ? base : `${base}.${frac}`;
    }
    default:
      return String(v);
  }
}

function same(a: Value, b: Value, type: FieldType): boolean {
  if (a === null || b === null) return a === b;
  if (type === 'number' && typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return a === b;
}

// ── engines ──
const SQL_TYPES: Record<string, Record<GenType | 'id', string>> = {
  duckdb: { id: 'INTEGER', integer: 'BIGINT', number: 'DOUBLE', string: 'VARCHAR', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP' },
  postgres: { id: 'INTEGER', integer: 'BIGINT', number: 'DOUBLE PRECISION', string: 'TEXT', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP' },
  // A case-insensitive default collation on purpose: the SQL must still compare by code point.
  mysql: { id: 'INT', integer: 'BIGINT', number: 'DOUBLE', string: 'VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'DATETIME(6)' },
};

function createTableSql(d: Dialect): string {
  const t = SQL_TYPES[d.name]!;
  const cols = [`${d.quoteIdent('id')} ${t.id}`, ...COLUMNS.map((c) => `${d.quoteIdent(c.name)} ${t[c.type]}`)];
  return `CREATE TABLE ${d.quoteIdent(TABLE)} (${cols.join(', ')})`;
}

function insertSql(d: Dialect): string {
  const values = rows.map((r) => `(${[String(r.id), ...COLUMNS.map((c) => literal(c.type, r[c.name] ?? null, d))].join(', ')})`);
  return `INSERT INTO ${d.quoteIdent(TABLE)} VALUES ${values.join(', ')}`;
}

describe('expression semantics agree across DuckDB, PostgreSQL, MariaDB and JS', () => {
  const engines: Engine[] = [];

  beforeAll(async () => {
    engines.push(await duckEngine(), await pgEngine(), await mariaEngine());
    for (const e of engines) {
      await e.run(`DROP TABLE IF EXISTS ${e.dialect.quoteIdent(TABLE)}`);
      await e.run(createTableSql(e.dialect));
      await e.run(insertSql(e.dialect));
    }
  });

  afterAll(async () => {
    for (const e of engines) {
      await e.run(`DROP TABLE IF EXISTS ${e.dialect.quoteIdent(TABLE)}`).catch(() => {});
      await e.close();
    }
  });

  it(`${EXPRESSIONS} random expressions × ${ROWS} rows give identical results`, async () => {
    const coverage = new Map<string, number>();
    for (const c of cases) {
      walk(c.expr, (e) => {
        const key = operatorKey(e);
        coverage.set(key, (coverage.get(key) ?? 0) + 1);
      });
    }
    let nulls = 0;
    let cells = 0;
    for (const r of rows) for (const col of COLUMNS) {
      cells++;
      if (r[col.name] === null) nulls++;
    }
    console.log(
      `expression property test: seed=${seed} (re-run with BF_PROPERTY_SEED=${seed}); ${cases.length} expressions × ${rows.length} rows; ` +
        `${((100 * nulls) / cells).toFixed(1)}% NULL cells; now()=${NOW}\n` +
        `coverage (operator: occurrences):\n${[...coverage.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([k, n]) => `  ${k.padEnd(28)} ${n}`).join('\n')}`,
    );
    expect(nulls / cells).toBeGreaterThanOrEqual(0.2);

    const expected = cases.map((c) => rows.map((r) => evaluate(c.expr, r, { now: NOW })));
    const failures: string[] = [];
    for (const engine of engines) {
      const d = engine.dialect;
      const ctx = { column: (n: string) => d.quoteIdent(n), now: NOW };
      for (let start = 0; start < cases.length; start += BATCH) {
        const batch = cases.slice(start, start + BATCH);
        const select = batch.map((c, i) => `${emitSql(c.expr, d, ctx)} AS ${d.quoteIdent(`c${start + i}`)}`);
        const sql = `SELECT ${d.quoteIdent('id')}, ${select.join(', ')} FROM ${d.quoteIdent(TABLE)} ORDER BY ${d.quoteIdent('id')}`;
        let result: Record<string, unknown>[];
        try {
          result = await engine.run(sql);
        } catch {
          // Find the expression that fails on its own.
          for (const [i, c] of batch.entries()) {
            try {
              await engine.run(`SELECT ${emitSql(c.expr, d, ctx)} AS x FROM ${d.quoteIdent(TABLE)}`);
            } catch (err) {
              failures.push(`${engine.name} error on #${start + i} ${c.text}\n    ${String(err).split('\n')[0]}\n    SQL: ${emitSql(c.expr, d, ctx)}`);
            }
          }
          continue;
        }
        for (const [i, c] of batch.entries()) {
          for (const [ri, row] of result.entries()) {
            const got = normalize(row[`c${start + i}`], c.type);
            const want = expected[start + i]![ri]!;
            if (!same(got, want, c.type)) {
              failures.push(
                `${engine.name} differs on #${start + i} ${c.text}\n    row ${JSON.stringify(rows[ri])}\n    js=${JSON.stringify(want)} ${engine.name}=${JSON.stringify(got)}\n    SQL: ${emitSql(c.expr, d, ctx)}`,
              );
              break;
            }
          }
        }
      }
    }
    if (failures.length) console.log(`${failures.length} mismatches (seed=${seed}):\n${failures.slice(0, 25).join('\n')}`);
    expect(failures, `seed=${seed}`).toEqual([]);
  });
});

function operatorKey(e: TExpr): string {
  switch (e.kind) {
    case 'arith':
      return `arith ${e.op} (${e.type})`;
    case 'logic':
      return `logic ${e.op}`;
    case 'compare':
      return `compare ${e.op}`;
    case 'cast':
      return `cast ${e.arg.type}→${e.type}`;
    case 'strfn':
    case 'strpred':
      return e.fn;
    case 'date_trunc':
    case 'date_add':
    case 'date_diff':
      return `${e.kind} ${e.unit}`;
    case 'in':
    case 'between':
    case 'isnull':
      return `${e.negated ? 'not ' : ''}${e.kind}`;
    case 'lit':
      return `literal ${e.value === null ? 'null' : e.type}`;
    default:
      return e.kind;
  }
}
