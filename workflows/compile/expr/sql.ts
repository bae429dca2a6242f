/**
 * TExpr → SQL for one dialect. The emitter owns the language's semantics
 * (NULL handling, promotions, date_diff's definition); the dialect only
 * supplies spellings. Every composite fragment is parenthesised.
 */
import type { FieldType } from '../../../connectors/sdk/types';
import type { Dialect } from '../dialects/dialect';
import { UNIT_MICROS } from '../dialects/dialect';
import type { CastTarget, TExpr } from './ast';
import { FALSE_WORDS, TEXT_PATTERNS, TRUE_WORDS } from './patterns';

export type EmitContext = {
  /** SQL for a column reference (already quoted). */
  column(name: string): string;
  /** Frozen now() as 'YYYY-MM-DD HH:MM:SS' (tests); CURRENT_TIMESTAMP in UTC otherwise. */
  now?: string;
};

export function emitSql(e: TExpr, d: Dialect, ctx: EmitContext): string {
  const go = (x: TExpr) => emitSql(x, d, ctx);
  switch (e.kind) {
    case 'lit':
      return literal(e.type, e.value, d);
    case 'col':
      return ctx.column(e.name);
    case 'now':
      return ctx.now ? d.timestamp(ctx.now) : d.currentTimestamp();
    case 'neg':
      return `(-${go(e.arg)})`;
    case 'not':
      return `(NOT ${go(e.arg)})`;
    case 'arith': {
      const [a, b] = [go(e.left), go(e.right)];
      if (e.op === '/') return e.type === 'integer' ? d.intDiv(a, b) : d.numDiv(a, b);
      if (e.op === '%') return d.mod(a, b);
      return `(${a} ${e.op} ${b})`;
    }
    case 'logic':
      return `(${go(e.left)} ${e.op.toUpperCase()} ${go(e.right)})`;
    case 'compare': {
      const op = e.op === '!=' ? '<>' : e.op;
      const w = operand(e.operandType, d, op === '=' || op === '<>' ? 'equality' : 'order');
      return `(${w(go(e.left))} ${op} ${w(go(e.right))})`;
    }
    case 'isnull':
      return `(${go(e.arg)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'in': {
      const w = operand(e.operandType, d, 'equality');
      return `(${w(go(e.arg))} ${e.negated ? 'NOT IN' : 'IN'} (${e.list.map((x) => w(go(x))).join(', ')}))`;
    }
    case 'between': {
      const w = operand(e.operandType, d, 'order');
      return `(${w(go(e.arg))} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${w(go(e.low))} AND ${w(go(e.high))})`;
    }
    case 'case': {
      const whens = e.whens.map((w) => `WHEN ${go(w.when)} THEN ${go(w.then)}`).join(' ');
      return `(CASE ${whens}${e.else ? ` ELSE ${go(e.else)}` : ''} END)`;
    }
    case 'cast':
      return emitCast(go(e.arg), e.arg.type, e.type, d);
    case 'coalesce':
      return e.args.length === 1 ? go(e.args[0]!) : `COALESCE(${e.args.map(go).join(', ')})`;
    case 'concat':
      // NULL counts as ''; a literal is never NULL and needs no COALESCE.
      return d.concat(e.args.map((a) => (a.kind === 'lit' && a.value !== null ? go(a) : `COALESCE(${go(a)}, '')`)));
    case 'strfn': {
      const x = go(e.arg);
      switch (e.fn) {
        case 'lower':
          return d.lower(x);
        case 'upper':
          return d.upper(x);
        case 'trim':
          return d.trimSpaces(x);
        case 'sha256':
          return d.sha256(x);
      }
      break;
    }
    case 'length':
      return d.charLength(go(e.arg));
    case 'substring':
      return d.substring(go(e.arg), e.start, e.length);
    case 'strpred':
      return e.fn === 'contains' ? d.contains(go(e.arg), go(e.needle)) : d.startsWith(go(e.arg), go(e.needle));
    case 'date_trunc':
      return d.dateTrunc(e.unit, go(e.arg), e.type);
    case 'date_add':
      return d.dateAdd(go(e.arg), go(e.amount), e.unit, e.type);
    case 'date_diff': {
      const a = asTimestamp(go(e.start), e.start.type, d);
      const b = asTimestamp(go(e.end), e.end.type, d);
      if (e.unit === 'week' || e.unit === 'day' || e.unit === 'hour' || e.unit === 'minute' || e.unit === 'second') {
        return d.intDiv(d.diffMicros(a, b), String(UNIT_MICROS[e.unit]));
      }
      const months = monthsBetween(a, b, d);
      return e.unit === 'month' ? months : d.intDiv(months, e.unit === 'year' ? '12' : '3');
    }
    case 'round':
      return e.type === 'integer' ? go(e.arg) : d.roundNumber(go(e.arg), e.digits);
    case 'abs':
      return `ABS(${go(e.arg)})`;
  }
  throw new Error(`unhandled expression ${JSON.stringify(e)}`);
}

function operand(t: string, d: Dialect, use: 'equality' | 'order'): (x: string) => string {
  if (t !== 'string') return (x) => x;
  return use === 'order' ? (x) => d.orderable(x) : (x) => d.equatable(x);
}

function asTimestamp(x: string, type: FieldType, d: Dialect): string {
  return type === 'date' ? d.castTo(x, 'timestamp') : x;
}

/** Complete calendar months from a to b, truncated toward zero (see README). */
function monthsBetween(a: string, b: string, d: Dialect): string {
  const m = `((${d.year(b)} * 12 + ${d.month(b)}) - (${d.year(a)} * 12 + ${d.month(a)}))`;
  const pa = d.positionInMonth(a);
  const pb = d.positionInMonth(b);
  return `(CASE WHEN ${m} > 0 AND ${pb} < ${pa} THEN ${m} - 1 WHEN ${m} < 0 AND ${pb} > ${pa} THEN ${m} + 1 ELSE ${m} END)`;
}

export function literal(type: FieldType, value: string | number | boolean | null, d: Dialect): string {
  if (value === null) return d.typedNull(type);
  switch (type) {
    case 'string':
      return d.string(String(value));
    case 'integer':
      return d.integer(Number(value));
    case 'number':
      return d.number(Number(value));
    case 'boolean':
      return d.boolean(Boolean(value));
    case 'date':
      return d.date(String(value));
    case 'timestamp':
      return d.timestamp(String(value));
    case 'json':
      return d.json(String(value));
    case 'string_array':
      throw new Error('list literals are built with Dialect.stringArray');
  }
}

/** CAST(x AS to) with the language's semantics (invalid text → NULL, truncation, formats). */
export function emitCast(x: string, from: FieldType, to: CastTarget, d: Dialect): string {
  if (from === to) return x;
  const tf = (t: string, f: string) => `(CASE WHEN ${x} THEN ${t} WHEN NOT ${x} THEN ${f} END)`;
  switch (to) {
    case 'string':
      switch (from) {
        case 'integer':
          return d.castTo(x, 'string');
        case 'number':
          return d.numberToString(x);
        case 'boolean':
          return tf(d.string('true'), d.string('false'));
        case 'date':
          return d.formatDate(x);
        case 'timestamp':
          return d.formatTimestamp(x);
      }
      break;
    case 'integer':
      if (from === 'string') return `(CASE WHEN ${d.matches(x, TEXT_PATTERNS.integer)} THEN ${d.castTo(d.trimSpaces(x), 'integer')} END)`;
      if (from === 'number') return d.truncToInteger(x);
      if (from === 'boolean') return tf('1', '0');
      break;
    case 'number':
      if (from === 'string') return `(CASE WHEN ${d.matches(x, TEXT_PATTERNS.number)} THEN ${d.castTo(d.trimSpaces(x), 'number')} END)`;
      if (from === 'integer') return d.castTo(x, 'number');
      if (from === 'boolean') return tf(d.number(1), d.number(0));
      break;
    case 'boolean':
      if (from === 'string') {
        const w = d.lower(d.trimSpaces(x));
        const list = (ws: string[]) => ws.map((s) => d.string(s)).join(', ');
        return `(CASE WHEN ${w} IN (${list(TRUE_WORDS)}) THEN ${d.boolean(true)} WHEN ${w} IN (${list(FALSE_WORDS)}) THEN ${d.boolean(false)} END)`;
      }
      if (from === 'integer' || from === 'number') return `(${x} <> 0)`;
      break;
    case 'date':
      if (from === 'string') return d.textToDate(x);
      if (from === 'timestamp') return d.castTo(x, 'date');
      break;
    case 'timestamp':
      if (from === 'string') return d.textToTimestamp(x);
      if (from === 'date') return d.castTo(x, 'timestamp');
      break;
  }
  throw new Error(`no cast from ${from} to ${to}`);
}
