/**
 * The expression language's pinned semantics, by example (the property test
 * checks that every dialect agrees with these), and its parse/type errors.
 */
import { describe, expect, it } from 'vitest';
import { checkExpression } from '../../../workflows/compile/expr/check';
import { evaluate, type Row } from '../../../workflows/compile/expr/evaluate';
import type { TColumn } from '../../../workflows/graph/columns';
import { recordKeyExpr } from '../../../workflows/nodes/map/record-key';

const columns: TColumn[] = [
  { name: 'i', type: 'integer' },
  { name: 'n', type: 'number' },
  { name: 's', type: 'string' },
  { name: 'd', type: 'date' },
  { name: 't', type: 'timestamp' },
  { name: 'first name', type: 'string' },
];
const NOW = '2025-03-15 12:34:56';

function run(text: string, row: Row = {}) {
  const c = checkExpression(text, columns);
  if (!c.ok) throw new Error(c.error.message);
  return evaluate(c.expr, row, { now: NOW });
}

describe('expression semantics', () => {
  it('integer division truncates toward zero; / of numbers is decimal; zero divisors give NULL', () => {
    expect(run('5 / 2')).toBe(2);
    expect(run('-5 / 2')).toBe(-2);
    expect(run('5.0 / 2')).toBe(2.5);
    expect(run('-7 % 3')).toBe(-1);
    expect(run('1 / 0')).toBeNull();
    expect(run('1.5 / 0')).toBeNull();
  });

  it('rounds half away from zero on the decimal a number prints as', () => {
    expect(run('round(2.5)')).toBe(3);
    expect(run('round(-2.5)')).toBe(-3);
    expect(run('round(2.675, 2)')).toBe(2.68);
    expect(run('round(-1.005, 2)')).toBe(-1.01);
    expect(run('cast(2.9 as integer)')).toBe(2);
    expect(run('cast(-2.9 as integer)')).toBe(-2);
  });

  it('concat treats NULL as empty text; numbers print without exponent', () => {
    expect(run("concat('a', null, 'b')")).toBe('ab');
    expect(run("'a' || s", { s: null })).toBe('a');
    expect(run('concat(1e-7, 0.1 + 0.2, 1e21)')).toBe('0.00000010.3' + '1000000000000000000000');
    expect(run("concat(true, ' ', date '2024-02-29', ' ', timestamp '2024-02-29 10:11:12')")).toBe('true 2024-02-29 2024-02-29 10:11:12');
  });

  it('text compares by code point, case-sensitively', () => {
    expect(run("'a' < 'B'")).toBe(false);
    expect(run("'a' = 'A'")).toBe(false);
    expect(run("'a' = 'a '")).toBe(false);
    expect(run("contains('Hello', 'ell')")).toBe(true);
    expect(run("starts_with('Hello', 'he')")).toBe(false);
  });

  it('three-valued logic and IN with NULLs', () => {
    expect(run('null and false')).toBe(false);
    expect(run('null or true')).toBe(true);
    expect(run('i in (1, null)', { i: 2 })).toBeNull();
    expect(run('i not in (1, 2)', { i: 3 })).toBe(true);
  });

  it('dates and timestamps are UTC calendar values', () => {
    expect(run("date_add(date '2024-01-31', 1, 'month')")).toBe('2024-02-29');
    expect(run("date_add(timestamp '2024-03-31 23:30:00', 45, 'minute')")).toBe('2024-04-01 00:15:00');
    expect(run("date_trunc('week', date '2024-05-15')")).toBe('2024-05-13');
    expect(run("date_trunc('quarter', timestamp '2024-05-15 10:11:12')")).toBe('2024-04-01 00:00:00');
    expect(run("date_diff('day', timestamp '2024-01-01 23:00:00', timestamp '2024-01-02 22:00:00')")).toBe(0);
    expect(run("date_diff('month', date '2024-01-31', date '2024-02-29')")).toBe(0);
    expect(run("date_diff('month', date '2024-02-29', date '2024-01-31')")).toBe(0);
    expect(run("date_diff('year', date '2020-02-29', date '2024-02-28')")).toBe(3);
    expect(run('now()')).toBe(NOW);
    expect(run('in_last_days(d, 30)', { d: '2025-03-01' })).toBe(true);
    expect(run('in_last_days(d, 30)', { d: '2025-03-16' })).toBe(false);
  });

  it('casts of text accept one format and give NULL otherwise', () => {
    expect(run("cast(' 42 ' as integer)")).toBe(42);
    expect(run("cast('4.2' as integer)")).toBeNull();
    expect(run("cast('.5' as number)")).toBe(0.5);
    expect(run("cast('2023-02-29' as date)")).toBeNull();
    expect(run("cast('2024-02-29T10:00:00' as timestamp)")).toBe('2024-02-29 10:00:00');
    expect(run("cast('Yes' as boolean)")).toBe(true);
    expect(run("cast('maybe' as boolean)")).toBeNull();
  });

  it('sha256 is lowercase hex of the UTF-8 text', () => {
    expect(run("sha256('abc')")).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(run("length('a😀')")).toBe(2);
    expect(run("substring('a😀bc', 2, 2)")).toBe('😀b');
  });

  it('composite record keys cannot collide', () => {
    const key = recordKeyExpr(['a', 'b'], [{ name: 'a', type: 'string' }, { name: 'b', type: 'string' }]);
    const k1 = evaluate(key, { a: 'x,1', b: 'y' }, { now: NOW });
    const k2 = evaluate(key, { a: 'x', b: '1,y' }, { now: NOW });
    expect(k1).toBe('3:x,1,1:y');
    expect(k2).toBe('1:x,3:1,y');
    expect(evaluate(key, { a: 'x', b: null }, { now: NOW })).toBeNull();
  });
});

describe('expression errors', () => {
  it('reports syntax errors with their position', () => {
    const r = checkExpression('lower(s', columns);
    expect(r).toMatchObject({ ok: false, error: { code: 'expression_syntax', pos: { start: 7, end: 7 } } });
    const q = checkExpression("concat(s, 'x)", columns);
    expect(q).toMatchObject({ ok: false, error: { code: 'expression_syntax', pos: { start: 10, end: 13 } } });
    if (!q.ok) expect(q.error.message).toMatch(/unterminated string starting at column 11 — fix:/);
    expect(checkExpression('1 +', columns)).toMatchObject({ ok: false, error: { message: expect.stringContaining('expected a value') } });
    expect(checkExpression('frobnicate(s)', columns)).toMatchObject({ ok: false, error: { message: expect.stringContaining('unknown function frobnicate()') } });
  });

  it('reports type errors with the position of the offending operand', () => {
    const r = checkExpression("d > '2024-01-01'", columns);
    expect(r).toMatchObject({ ok: false, error: { code: 'type_mismatch', pos: { start: 4, end: 16 } } });
    expect(checkExpression('s + 1', columns)).toMatchObject({ ok: false, error: { message: expect.stringContaining('use concat') } });
    expect(checkExpression('n % 2', columns)).toMatchObject({ ok: false, error: { message: expect.stringContaining('needs integers') } });
    expect(checkExpression("date_add(d, 1, 'hour')", columns)).toMatchObject({ ok: false, error: { message: expect.stringContaining('needs a timestamp') } });
  });

  it('quoted names reach columns with spaces; keywords need quotes', () => {
    expect(run('upper("first name")', { 'first name': 'ada' })).toBe('ADA');
    expect(checkExpression('"nope" || s', columns)).toMatchObject({ ok: false, error: { code: 'unknown_column', pos: { start: 0, end: 6 } } });
  });
});
