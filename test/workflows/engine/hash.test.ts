/**
 * Golden test: the content hash computed in each warehouse's SQL equals the one
 * computed in Node, for the same typed values (hash.ts is the definition).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldType } from '../../../connectors/sdk/types';
import {
  canonicalText,
  contentHash,
  decodeCanonical,
  encodeCanonical,
  fieldsSignature,
  payloadFromCanonical,
  sqlCanonicalString,
  sqlCanonicalText,
  sqlContentHash,
} from '../../../workflows/engine/hash';
import type { HashDialect } from '../../../workflows/engine/sql-dialect';
import { WAREHOUSES, type Warehouse } from '../../helpers/warehouses';

type Golden = { type: FieldType; js: unknown; sql: Record<HashDialect, string>; expected: string | null };

const same = (s: string): Record<HashDialect, string> => ({ duckdb: s, postgres: s, mysql: s });

const GOLDEN: Golden[] = [
  { type: 'string', js: 'hello', sql: same("'hello'"), expected: 'hello' },
  { type: 'string', js: 'a|b\\c', sql: { duckdb: "'a|b\\c'", postgres: "'a|b\\c'", mysql: "'a|b\\\\c'" }, expected: 'a|b\\c' },
  { type: 'string', js: '', sql: same("''"), expected: '' },
  { type: 'string', js: "ünïcödé 😀 it's", sql: same("'ünïcödé 😀 it''s'"), expected: "ünïcödé 😀 it's" },
  { type: 'string', js: null, sql: { duckdb: 'CAST(NULL AS VARCHAR)', postgres: 'CAST(NULL AS TEXT)', mysql: 'CAST(NULL AS CHAR)' }, expected: null },
  { type: 'integer', js: 0, sql: same('0'), expected: '0' },
  { type: 'integer', js: -7, sql: same('-7'), expected: '-7' },
  { type: 'integer', js: 9007199254740993n, sql: { duckdb: 'CAST(9007199254740993 AS BIGINT)', postgres: 'CAST(9007199254740993 AS BIGINT)', mysql: 'CAST(9007199254740993 AS SIGNED)' }, expected: '9007199254740993' },
  { type: 'number', js: 0.1, sql: { duckdb: 'CAST(0.1 AS DOUBLE)', postgres: 'CAST(0.1 AS DOUBLE PRECISION)', mysql: 'CAST(0.1 AS DOUBLE)' }, expected: '0.1' },
  { type: 'number', js: 2, sql: { duckdb: 'CAST(2 AS DOUBLE)', postgres: 'CAST(2 AS DOUBLE PRECISION)', mysql: 'CAST(2 AS DOUBLE)' }, expected: '2' },
  { type: 'number', js: -3.25, sql: same('-3.25'), expected: '-3.25' },
  { type: 'number', js: '1234567.891', sql: { duckdb: 'CAST(1234567.891 AS DECIMAL(12, 3))', postgres: 'CAST(1234567.891 AS NUMERIC(12, 3))', mysql: 'CAST(1234567.891 AS DECIMAL(12, 3))' }, expected: '1234567.891' },
  { type: 'number', js: '841.95', sql: { duckdb: 'CAST(841.95 AS DECIMAL(12, 2))', postgres: 'CAST(841.95 AS NUMERIC(12, 2))', mysql: 'CAST(841.95 AS DECIMAL(12, 2))' }, expected: '841.95' },
  { type: 'number', js: '0.33333333333333', sql: { duckdb: 'CAST(0.33333333333333 AS DECIMAL(20, 14))', postgres: 'CAST(0.33333333333333 AS NUMERIC(20, 14))', mysql: 'CAST(0.33333333333333 AS DECIMAL(20, 14))' }, expected: '0.33333333333333' },
  { type: 'number', js: '100.00', sql: { duckdb: 'CAST(100 AS DECIMAL(12, 2))', postgres: 'CAST(100 AS NUMERIC(12, 2))', mysql: 'CAST(100 AS DECIMAL(12, 2))' }, expected: '100' },
  { type: 'number', js: 12345678.12345678, sql: { duckdb: 'CAST(12345678.12345678 AS DOUBLE)', postgres: 'CAST(12345678.12345678 AS DOUBLE PRECISION)', mysql: 'CAST(12345678.12345678 AS DOUBLE)' }, expected: '12345678.12345678' },
  { type: 'number', js: 0.30000000000000004, sql: { duckdb: 'CAST(0.1 AS DOUBLE) + CAST(0.2 AS DOUBLE)', postgres: 'CAST(0.1 AS DOUBLE PRECISION) + CAST(0.2 AS DOUBLE PRECISION)', mysql: 'CAST(0.1 AS DOUBLE) + CAST(0.2 AS DOUBLE)' }, expected: '0.30000000000000004' },
  { type: 'number', js: 1.5e-7, sql: { duckdb: 'CAST(1.5e-7 AS DOUBLE)', postgres: 'CAST(1.5e-7 AS DOUBLE PRECISION)', mysql: 'CAST(1.5e-7 AS DOUBLE)' }, expected: '0.00000015' },
  { type: 'number', js: 1e20, sql: { duckdb: 'CAST(1e20 AS DOUBLE)', postgres: 'CAST(1e20 AS DOUBLE PRECISION)', mysql: 'CAST(1e20 AS DOUBLE)' }, expected: '100000000000000000000' },
  { type: 'number', js: -0, sql: { duckdb: 'CAST(-0.0 AS DOUBLE)', postgres: 'CAST(-0.0 AS DOUBLE PRECISION)', mysql: 'CAST(-0.0 AS DOUBLE)' }, expected: '0' },
  // The edges of canonicalNumber's common range, zero, a negative value and NULL (sql-dialect.ts numberCase).
  { type: 'number', js: 0, sql: { duckdb: 'CAST(0 AS DOUBLE)', postgres: 'CAST(0 AS DOUBLE PRECISION)', mysql: 'CAST(0 AS DOUBLE)' }, expected: '0' },
  { type: 'number', js: '0.00', sql: { duckdb: 'CAST(0 AS DECIMAL(12, 2))', postgres: 'CAST(0 AS NUMERIC(12, 2))', mysql: 'CAST(0 AS DECIMAL(12, 2))' }, expected: '0' },
  { type: 'number', js: 0.0001, sql: { duckdb: 'CAST(0.0001 AS DOUBLE)', postgres: 'CAST(0.0001 AS DOUBLE PRECISION)', mysql: 'CAST(0.0001 AS DOUBLE)' }, expected: '0.0001' },
  { type: 'number', js: 0.00009999, sql: { duckdb: 'CAST(0.00009999 AS DOUBLE)', postgres: 'CAST(0.00009999 AS DOUBLE PRECISION)', mysql: 'CAST(0.00009999 AS DOUBLE)' }, expected: '0.00009999' },
  { type: 'number', js: 999999999999999.9, sql: { duckdb: 'CAST(999999999999999.9 AS DOUBLE)', postgres: 'CAST(999999999999999.9 AS DOUBLE PRECISION)', mysql: 'CAST(999999999999999.9 AS DOUBLE)' }, expected: '999999999999999.9' },
  { type: 'number', js: 1e15, sql: { duckdb: 'CAST(1e15 AS DOUBLE)', postgres: 'CAST(1e15 AS DOUBLE PRECISION)', mysql: 'CAST(1e15 AS DOUBLE)' }, expected: '1000000000000000' },
  { type: 'number', js: '-2.50', sql: { duckdb: 'CAST(-2.5 AS DECIMAL(12, 2))', postgres: 'CAST(-2.5 AS NUMERIC(12, 2))', mysql: 'CAST(-2.5 AS DECIMAL(12, 2))' }, expected: '-2.5' },
  // Integral values in the common range (printed from a BIGINT on DuckDB).
  { type: 'number', js: -7, sql: { duckdb: 'CAST(-7 AS DOUBLE)', postgres: 'CAST(-7 AS DOUBLE PRECISION)', mysql: 'CAST(-7 AS DOUBLE)' }, expected: '-7' },
  { type: 'number', js: '-42.00', sql: { duckdb: 'CAST(-42 AS DECIMAL(12, 2))', postgres: 'CAST(-42 AS NUMERIC(12, 2))', mysql: 'CAST(-42 AS DECIMAL(12, 2))' }, expected: '-42' },
  { type: 'number', js: 123456789012345, sql: { duckdb: 'CAST(123456789012345 AS DOUBLE)', postgres: 'CAST(123456789012345 AS DOUBLE PRECISION)', mysql: 'CAST(123456789012345 AS DOUBLE)' }, expected: '123456789012345' },
  { type: 'number', js: 999999999999999, sql: { duckdb: 'CAST(999999999999999 AS DOUBLE)', postgres: 'CAST(999999999999999 AS DOUBLE PRECISION)', mysql: 'CAST(999999999999999 AS DOUBLE)' }, expected: '999999999999999' },
  { type: 'number', js: 1e14, sql: { duckdb: 'CAST(1e14 AS DOUBLE)', postgres: 'CAST(1e14 AS DOUBLE PRECISION)', mysql: 'CAST(1e14 AS DOUBLE)' }, expected: '100000000000000' },
  { type: 'number', js: null, sql: { duckdb: 'CAST(NULL AS DECIMAL(12, 2))', postgres: 'CAST(NULL AS NUMERIC(12, 2))', mysql: 'CAST(NULL AS DECIMAL(12, 2))' }, expected: null },
  { type: 'boolean', js: true, sql: { duckdb: 'true', postgres: 'true', mysql: 'TRUE' }, expected: 'true' },
  { type: 'boolean', js: false, sql: { duckdb: 'false', postgres: 'false', mysql: 'FALSE' }, expected: 'false' },
  { type: 'date', js: '2026-01-31', sql: { duckdb: "DATE '2026-01-31'", postgres: "DATE '2026-01-31'", mysql: "DATE '2026-01-31'" }, expected: '2026-01-31' },
  {
    type: 'timestamp',
    js: '2026-01-31 23:59:59.123456',
    sql: { duckdb: "TIMESTAMP '2026-01-31 23:59:59.123456'", postgres: "TIMESTAMP '2026-01-31 23:59:59.123456'", mysql: "CAST('2026-01-31 23:59:59.123456' AS DATETIME(6))" },
    expected: '2026-01-31T23:59:59.123456Z',
  },
  {
    type: 'timestamp',
    js: new Date('2026-03-01T08:00:00Z'),
    sql: { duckdb: "TIMESTAMP '2026-03-01 08:00:00'", postgres: "TIMESTAMP '2026-03-01 08:00:00'", mysql: "CAST('2026-03-01 08:00:00' AS DATETIME(6))" },
    expected: '2026-03-01T08:00:00.000000Z',
  },
];

describe('canonical encoding (Node)', () => {
  it('round-trips texts with separators, backslashes and NULLs', () => {
    const texts = ['a|b', '\\N', null, '', 'x\\|y', 'plain'];
    expect(decodeCanonical(encodeCanonical(texts), texts.length)).toEqual(texts);
  });

  it('round-trips random texts built from the characters that need escaping', () => {
    // A fixed-seed generator (mulberry32): the same 2,000 cases every run.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const alphabet = ['a', '|', '\\', 'N', 'é', ' '];
    for (let c = 0; c < 2000; c++) {
      const texts = Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
        random() < 0.2 ? null : Array.from({ length: Math.floor(random() * 6) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''),
      );
      expect(decodeCanonical(encodeCanonical(texts), texts.length)).toEqual(texts);
    }
  });

  it('refuses a payload whose field count differs from the plan', () => {
    expect(() => decodeCanonical('a|b', 3)).toThrow(/2 fields, the plan has 3/);
  });

  it('builds typed payloads and leaves out NULLs marked "omit"', () => {
    const fields = [
      { name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
      { name: 'ltv', type: 'number', whenNull: 'omit', onlyIfEmpty: false },
      { name: 'orders', type: 'integer', whenNull: 'send_null', onlyIfEmpty: false },
      { name: 'vip', type: 'boolean', whenNull: 'send_null', onlyIfEmpty: false },
    ] as const;
    const canonical = encodeCanonical(['a@b.co', null, '12', 'true']);
    expect(payloadFromCanonical([...fields], canonical)).toEqual({ email: 'a@b.co', orders: 12, vip: true });
  });

  it('decodes each payload on its own, whatever was decoded before it', () => {
    const fields = [
      { name: 'a', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
      { name: 'b', type: 'integer', whenNull: 'omit', onlyIfEmpty: false },
    ] as const;
    expect(payloadFromCanonical([...fields], encodeCanonical(['x|y', '7']))).toEqual({ a: 'x|y', b: 7 });
    expect(payloadFromCanonical([...fields], encodeCanonical([null, null]))).toEqual({ a: null });
    expect(() => payloadFromCanonical([...fields], encodeCanonical(['1', '2', '3']))).toThrow(/3 fields, the plan has 2/);
    expect(payloadFromCanonical([...fields], encodeCanonical(['', '0']))).toEqual({ a: '', b: 0 });
  });

  it('builds the same payload, keys in mapping order, whether every field is present or some are left out', () => {
    const fields = [
      { name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
      { name: 'ltv', type: 'number', whenNull: 'omit', onlyIfEmpty: false },
      { name: 'say "hi"\u2028', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
      { name: 'tags', type: 'string_array', whenNull: 'send_null', onlyIfEmpty: false },
      { name: '0', type: 'integer', whenNull: 'send_null', onlyIfEmpty: false },
    ] as const;
    const plan = [...fields];
    const full = payloadFromCanonical(plan, encodeCanonical(['a@b.co', '1.5', 'x', '["p","q"]', '3']));
    expect(full).toEqual({ email: 'a@b.co', ltv: 1.5, 'say "hi"\u2028': 'x', tags: ['p', 'q'], 0: 3 });
    expect(Object.getPrototypeOf(full)).toBe(Object.prototype);
    const sparse = payloadFromCanonical(plan, encodeCanonical(['a@b.co', null, null, null, '3']));
    expect(sparse).toEqual({ email: 'a@b.co', 'say "hi"\u2028': null, tags: null, 0: 3 });
    // The same key order as one assignment per field would give (integer-like keys first, as JavaScript orders them).
    expect(Object.keys(full)).toEqual(['0', 'email', 'ltv', 'say "hi"\u2028', 'tags']);
    expect(Object.keys(sparse)).toEqual(['0', 'email', 'say "hi"\u2028', 'tags']);
  });

  it('builds a payload with a field named __proto__ as an own property, not a prototype', () => {
    const fields = [
      { name: '__proto__', type: 'json', whenNull: 'send_null', onlyIfEmpty: false },
      { name: 'b', type: 'string', whenNull: 'send_null', onlyIfEmpty: false },
    ] as const;
    const p = payloadFromCanonical([...fields], encodeCanonical(['{"polluted":true}', 'x']));
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(p, '__proto__')?.value).toEqual({ polluted: true });
    expect(JSON.parse(JSON.stringify(p))).toEqual(JSON.parse('{"__proto__":{"polluted":true},"b":"x"}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('changes the hash when the mapping signature changes', () => {
    const c = encodeCanonical(['x']);
    expect(contentHash('a:string:send_null:0', c)).not.toEqual(contentHash('b:string:send_null:0', c));
  });
});

for (const warehouse of WAREHOUSES) {
  describe(`SQL matches Node: ${warehouse.name}`, () => {
    let runner: Warehouse;
    const first = async (sql: string) => (await runner.rows(sql))[0]!;
    beforeAll(async () => {
      runner = await warehouse.open();
    });
    afterAll(async () => {
      await runner?.close();
    });

    it.each(GOLDEN.map((g, i) => [i, g] as const))('canonical text of golden value %i', async (_i, g) => {
      const row = await first(`SELECT ${sqlCanonicalText(runner.dialect, g.type, g.sql[runner.dialect])} AS t`);
      expect(row.t ?? null).toBe(g.expected);
      expect(canonicalText(g.type, g.js)).toBe(g.expected);
    });

    it('hashes a whole row identically', async () => {
      const fields = GOLDEN.map((g, i) => ({ name: `f${i}`, type: g.type, whenNull: 'send_null' as const, onlyIfEmpty: false }));
      const signature = fieldsSignature(fields);
      const canonicalSql = sqlCanonicalString(runner.dialect, GOLDEN.map((g) => ({ type: g.type, expr: g.sql[runner.dialect] })));
      const row = await first(`SELECT ${canonicalSql} AS c, ${sqlContentHash(runner.dialect, signature, canonicalSql)} AS h`);
      const nodeCanonical = encodeCanonical(GOLDEN.map((g) => canonicalText(g.type, g.js)));
      expect(row.c).toBe(nodeCanonical);
      expect(row.h).toBe(contentHash(signature, nodeCanonical));
    });
  });
}
