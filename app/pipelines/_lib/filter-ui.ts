/**
 * The filter form's typing rules: which operators fit a column's type, what
 * kind of value input each needs, and converting between what is typed and the
 * filter schema's typed values ({ date }, { timestamp }, numbers, booleans).
 */
import type { FieldType } from '../../../connectors/sdk/types';
import { FILTER_OPERATORS, type TColumnCondition, type TFilterOperator, type TFilterValue } from '../../../workflows/nodes/filter/schema';

const COMPARE: TFilterOperator[] = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'between'];
const NULLS: TFilterOperator[] = ['is_null', 'is_not_null'];

/** Operators that make sense for a column type (all of them when the type is unknown). */
export function operatorsFor(type: FieldType | undefined): TFilterOperator[] {
  switch (type) {
    case 'string':
      return ['eq', 'neq', 'in', 'not_in', 'contains', 'starts_with', ...NULLS, 'lt', 'gt'];
    case 'integer':
    case 'number':
      return [...COMPARE, 'in', 'not_in', ...NULLS];
    case 'boolean':
      return ['eq', 'neq', ...NULLS];
    case 'date':
    case 'timestamp':
      return ['in_last_days', ...COMPARE, ...NULLS];
    case 'json':
    case 'string_array':
      return [...NULLS];
    default:
      return [...FILTER_OPERATORS];
  }
}

export type ValueArity = 'none' | 'one' | 'two' | 'list' | 'days';

export function arityOf(op: TFilterOperator): ValueArity {
  if (op === 'is_null' || op === 'is_not_null') return 'none';
  if (op === 'between') return 'two';
  if (op === 'in' || op === 'not_in') return 'list';
  if (op === 'in_last_days') return 'days';
  return 'one';
}

/** Typed text → filter value for a column of `type`; an error message when it cannot be. */
export function parseValue(text: string, type: FieldType | undefined): { value: TFilterValue } | { error: string } {
  const t = text.trim();
  switch (type) {
    case 'integer':
    case 'number': {
      if (t === '' || Number.isNaN(Number(t))) return { error: 'enter a number' };
      const n = Number(t);
      if (type === 'integer' && !Number.isInteger(n)) return { error: 'enter a whole number' };
      return { value: n };
    }
    case 'boolean':
      if (t === 'true' || t === 'false') return { value: t === 'true' };
      return { error: 'choose true or false' };
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(t)) return { error: 'use YYYY-MM-DD' };
      return { value: { date: t } };
    case 'timestamp':
      if (!/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/.test(t)) return { error: 'use YYYY-MM-DD HH:MM:SS (UTC)' };
      return { value: { timestamp: t.replace('T', ' ').length === 16 ? `${t.replace('T', ' ')}:00` : t.replace('T', ' ') } };
    default:
      return { value: text };
  }
}

/** A filter value as the input shows it. */
export function formatValue(v: TFilterValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return 'date' in v ? v.date : 'timestamp' in v ? v.timestamp : v.column;
  return String(v);
}

/** A comma-separated list for in / not in; quotes are not needed, commas inside values are not supported. */
export function parseList(text: string, type: FieldType | undefined): { values: TFilterValue[] } | { error: string } {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const values: TFilterValue[] = [];
  for (const p of parts) {
    const r = parseValue(p, type);
    if ('error' in r) return { error: `"${p}": ${r.error}` };
    values.push(r.value);
  }
  return { values };
}

/**
 * Switching operator keeps what still fits (a single value stays when going
 * from "is" to "is not"), and drops what does not.
 */
export function withOperator(c: TColumnCondition, op: TFilterOperator): TColumnCondition {
  const from = arityOf(c.operator);
  const to = arityOf(op);
  const out: TColumnCondition = { column: c.column, operator: op };
  if (to === 'one' && from === 'one' && c.value !== undefined) out.value = c.value;
  if (to === 'list' && from === 'list' && c.values) out.values = c.values;
  if (to === 'list' && from === 'one' && c.value !== undefined) out.values = [c.value];
  if (to === 'two' && from === 'two' && c.values) out.values = c.values;
  if (to === 'days') out.days = c.days ?? 30;
  return out;
}

/** HTML input type for a value of a column type. */
export function inputTypeFor(type: FieldType | undefined): 'text' | 'number' | 'date' | 'datetime-local' {
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'date') return 'date';
  return 'text';
}
