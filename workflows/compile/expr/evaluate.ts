/**
 * The JS evaluator: the reference semantics of the expression language. The SQL
 * emitted for every dialect must return what this returns (the property test in
 * test/workflows/compile/expr-property.test.ts holds them to it). Server-side
 * (sha256 uses node:crypto).
 *
 * Values: integer and number are JS numbers (integers within ±2^53), dates
 * 'YYYY-MM-DD', timestamps 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC.
 */
import { createHash } from 'node:crypto';
import type { FieldType } from '../../../connectors/sdk/types';
import type { CastTarget, CompareOp, DateUnit, TExpr } from './ast';
import { formatNumber, roundHalfAway } from './decimal';
import { FALSE_WORDS, TEXT_PATTERNS, TRUE_WORDS } from './patterns';
import {
  addMicros,
  addMonths,
  civilFromDays,
  dateToDays,
  daysFromCivil,
  daysToDate,
  diffMicros,
  formatTimestamp,
  isValidDate,
  isValidTimestamp,
  monthsBetween,
  parseTimestamp,
  type Instant,
} from './temporal';

export type Value = string | number | boolean | null;
export type Row = Record<string, Value>;
export type EvalOptions = { now: string };

export { TEXT_PATTERNS, TRUE_WORDS, FALSE_WORDS } from './patterns';

const UNIT_MICROS: Partial<Record<DateUnit, bigint>> = {
  week: 7n * 86_400_000_000n,
  day: 86_400_000_000n,
  hour: 3_600_000_000n,
  minute: 60_000_000n,
  second: 1_000_000n,
};

export function evaluate(e: TExpr, row: Row, opts: EvalOptions): Value {
  const ev = (x: TExpr) => evaluate(x, row, opts);
  switch (e.kind) {
    case 'lit':
      return e.value;
    case 'col':
      return row[e.name] ?? null;
    case 'now':
      return opts.now;
    case 'neg': {
      const v = num(ev(e.arg));
      return v === null ? null : zero(-v);
    }
    case 'not': {
      const v = ev(e.arg);
      return v === null ? null : !v;
    }
    case 'arith':
      return arith(e.op, e.type, num(ev(e.left)), num(ev(e.right)));
    case 'logic': {
      const l = bool(ev(e.left));
      const r = bool(ev(e.right));
      if (e.op === 'and') return l === false || r === false ? false : l === null || r === null ? null : true;
      return l === true || r === true ? true : l === null || r === null ? null : false;
    }
    case 'compare':
      return compare(e.op, ev(e.left), ev(e.right));
    case 'isnull':
      return (ev(e.arg) === null) !== e.negated;
    case 'in': {
      const v = ev(e.arg);
      if (v === null) return null;
      let sawNull = false;
      let found = false;
      for (const x of e.list) {
        const w = ev(x);
        if (w === null) sawNull = true;
        else if (cmp(v, w) === 0) found = true;
      }
      const r = found ? true : sawNull ? null : false;
      return r === null ? null : r !== e.negated;
    }
    case 'between': {
      const v = ev(e.arg);
      const lo = compare('>=', v, ev(e.low));
      const hi = compare('<=', v, ev(e.high));
      const r = lo === false || hi === false ? false : lo === null || hi === null ? null : true;
      return r === null ? null : r !== e.negated;
    }
    case 'case': {
      for (const w of e.whens) if (ev(w.when) === true) return ev(w.then);
      return e.else ? ev(e.else) : null;
    }
    case 'cast':
      return castValue(ev(e.arg), e.arg.type, e.type);
    case 'coalesce': {
      for (const a of e.args) {
        const v = ev(a);
        if (v !== null) return v;
      }
      return null;
    }
    case 'concat':
      return e.args.map((a) => str(ev(a)) ?? '').join('');
    case 'strfn': {
      const s = str(ev(e.arg));
      if (s === null) return null;
      switch (e.fn) {
        case 'lower':
          return s.toLowerCase();
        case 'upper':
          return s.toUpperCase();
        case 'trim':
          return s.replace(/^ +| +$/g, '');
        case 'sha256':
          return createHash('sha256').update(s, 'utf8').digest('hex');
      }
      break;
    }
    case 'length': {
      const s = str(ev(e.arg));
      return s === null ? null : [...s].length;
    }
    case 'substring': {
      const s = str(ev(e.arg));
      if (s === null) return null;
      const chars = [...s];
      return chars.slice(e.start - 1, e.length === null ? undefined : e.start - 1 + e.length).join('');
    }
    case 'strpred': {
      const s = str(ev(e.arg));
      const n = str(ev(e.needle));
      if (s === null || n === null) return null;
      return e.fn === 'contains' ? s.includes(n) : s.startsWith(n);
    }
    case 'date_trunc': {
      const v = str(ev(e.arg));
      if (v === null) return null;
      return dateTrunc(e.unit, v, e.type);
    }
    case 'date_add': {
      const v = str(ev(e.arg));
      const n = num(ev(e.amount));
      if (v === null || n === null) return null;
      return dateAdd(v, n, e.unit, e.type);
    }
    case 'date_diff': {
      const a = str(ev(e.start));
      const b = str(ev(e.end));
      if (a === null || b === null) return null;
      return dateDiff(e.unit, toInstant(a, e.start.type), toInstant(b, e.end.type));
    }
    case 'round': {
      const v = num(ev(e.arg));
      if (v === null) return null;
      return e.type === 'integer' ? v : roundHalfAway(v, e.digits);
    }
    case 'abs': {
      const v = num(ev(e.arg));
      return v === null ? null : Math.abs(v);
    }
  }
  throw new Error(`unhandled expression ${JSON.stringify(e)}`);
}

function zero(n: number): number {
  return n === 0 ? 0 : n;
}

function num(v: Value): number | null {
  if (v === null) return null;
  if (typeof v !== 'number') throw new Error(`expected a number, got ${JSON.stringify(v)}`);
  return v;
}
function str(v: Value): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') throw new Error(`expected text, got ${JSON.stringify(v)}`);
  return v;
}
function bool(v: Value): boolean | null {
  if (v === null) return null;
  if (typeof v !== 'boolean') throw new Error(`expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function arith(op: string, type: 'integer' | 'number', a: number | null, b: number | null): Value {
  if (a === null || b === null) return null;
  switch (op) {
    case '+':
      return zero(a + b);
    case '-':
      return zero(a - b);
    case '*':
      return zero(a * b);
    case '/':
      if (b === 0) return null;
      // Integer division truncates toward zero (exact via BigInt).
      return type === 'integer' ? zero(Number(BigInt(a) / BigInt(b))) : zero(a / b);
    case '%':
      if (b === 0) return null;
      return zero(Number(BigInt(a) % BigInt(b)));
  }
  throw new Error(`unknown operator ${op}`);
}

/** Code point order for text (UTF-16 order differs for astral characters). */
function compareText(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

function cmp(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') return compareText(a, b);
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  throw new Error(`cannot compare ${JSON.stringify(a)} with ${JSON.stringify(b)}`);
}

function compare(op: CompareOp, a: Value, b: Value): boolean | null {
  if (a === null || b === null) return null;
  const c = cmp(a, b);
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

export function castValue(v: Value, from: FieldType, to: CastTarget): Value {
  if (v === null) return null;
  if (from === to) return v;
  switch (to) {
    case 'string':
      if (from === 'number') return formatNumber(num(v)!);
      if (from === 'boolean') return v ? 'true' : 'false';
      if (from === 'timestamp') return str(v)!.slice(0, 19);
      return String(v);
    case 'integer':
      if (from === 'string') return new RegExp(TEXT_PATTERNS.integer).test(str(v)!) ? zero(Number(str(v)!.trim())) : null;
      if (from === 'number') return zero(Math.trunc(num(v)!));
      if (from === 'boolean') return v ? 1 : 0;
      break;
    case 'number':
      if (from === 'string') return new RegExp(TEXT_PATTERNS.number).test(str(v)!) ? zero(Number(str(v)!.trim())) : null;
      if (from === 'integer') return v;
      if (from === 'boolean') return v ? 1 : 0;
      break;
    case 'boolean':
      if (from === 'string') {
        const w = str(v)!.replace(/^ +| +$/g, '').toLowerCase();
        return TRUE_WORDS.includes(w) ? true : FALSE_WORDS.includes(w) ? false : null;
      }
      if (from === 'integer' || from === 'number') return num(v) !== 0;
      break;
    case 'date':
      if (from === 'string') return new RegExp(TEXT_PATTERNS.date).test(str(v)!) && isValidDate(str(v)!) ? v : null;
      if (from === 'timestamp') return str(v)!.slice(0, 10);
      break;
    case 'timestamp':
      if (from === 'string') {
        const s = str(v)!;
        if (!new RegExp(TEXT_PATTERNS.timestamp).test(s)) return null;
        const full = s.length === 10 ? `${s} 00:00:00` : s.replace('T', ' ');
        return isValidTimestamp(full) ? full : null;
      }
      if (from === 'date') return `${str(v)} 00:00:00`;
      break;
  }
  throw new Error(`no cast from ${from} to ${to}`);
}

function toInstant(v: string, type: FieldType): Instant {
  return type === 'date' ? { days: dateToDays(v), micros: 0 } : parseTimestamp(v);
}

function dateTrunc(unit: DateUnit, v: string, type: 'date' | 'timestamp'): string {
  const t = toInstant(v, type);
  let out: Instant;
  const { y, m } = civilFromDays(t.days);
  switch (unit) {
    case 'year':
      out = { days: daysFromCivil(y, 1, 1), micros: 0 };
      break;
    case 'quarter':
      out = { days: daysFromCivil(y, m - ((m - 1) % 3), 1), micros: 0 };
      break;
    case 'month':
      out = { days: daysFromCivil(y, m, 1), micros: 0 };
      break;
    case 'week': {
      // ISO weeks start on Monday; 1970-01-01 was a Thursday.
      const dow = (((t.days + 3) % 7) + 7) % 7;
      out = { days: t.days - dow, micros: 0 };
      break;
    }
    case 'day':
      out = { days: t.days, micros: 0 };
      break;
    case 'hour':
      out = { days: t.days, micros: t.micros - (t.micros % 3_600_000_000) };
      break;
    case 'minute':
      out = { days: t.days, micros: t.micros - (t.micros % 60_000_000) };
      break;
    case 'second':
      out = { days: t.days, micros: t.micros - (t.micros % 1_000_000) };
      break;
  }
  return type === 'date' ? daysToDate(out.days) : formatTimestamp(out);
}

function dateAdd(v: string, n: number, unit: DateUnit, type: 'date' | 'timestamp'): string {
  const t = toInstant(v, type);
  let out: Instant;
  switch (unit) {
    case 'year':
      out = { days: addMonths(t.days, 12 * n), micros: t.micros };
      break;
    case 'quarter':
      out = { days: addMonths(t.days, 3 * n), micros: t.micros };
      break;
    case 'month':
      out = { days: addMonths(t.days, n), micros: t.micros };
      break;
    case 'week':
      out = { days: t.days + 7 * n, micros: t.micros };
      break;
    case 'day':
      out = { days: t.days + n, micros: t.micros };
      break;
    case 'hour':
      out = addMicros(t, n * 3_600_000_000);
      break;
    case 'minute':
      out = addMicros(t, n * 60_000_000);
      break;
    case 'second':
      out = addMicros(t, n * 1_000_000);
      break;
  }
  return type === 'date' ? daysToDate(out.days) : formatTimestamp(out);
}

function dateDiff(unit: DateUnit, a: Instant, b: Instant): number {
  const fixed = UNIT_MICROS[unit];
  if (fixed !== undefined) return zero(Number(diffMicros(a, b) / fixed));
  const months = monthsBetween(a, b);
  const per = unit === 'year' ? 12 : unit === 'quarter' ? 3 : 1;
  return zero(Math.trunc(months / per));
}
