/**
 * Type checker: PExpr + input columns → TExpr, or errors with positions.
 *
 * Rules (the language's one semantics; workflows/compile/README.md):
 * - integer op integer stays integer; mixing integer and number promotes to number;
 *   a date next to a timestamp promotes to timestamp (midnight). Promotions become
 *   explicit `cast` nodes, so emitters never guess.
 * - Nothing else converts implicitly: comparing a date with a string is an error.
 * - A bare NULL takes the type its context needs.
 */
import type { FieldType } from '../../../connectors/sdk/types';
import { describeType, unknownColumnHelp, type TColumn } from '../../graph/columns';
import { CAST_TARGETS, DATE_UNITS, type CastTarget, type DateUnit, type PExpr, type Pos, type ScalarType, type TExpr } from './ast';
import { parseExpression } from './parser';

export type ExprErrorCode = 'expression_syntax' | 'unknown_column' | 'type_mismatch';
export type ExprError = { code: ExprErrorCode; message: string; pos: Pos };
export type CheckResult = { ok: true; expr: TExpr } | { ok: false; error: ExprError };

class CheckError extends Error {
  constructor(
    readonly code: ExprErrorCode,
    message: string,
    readonly pos: Pos,
  ) {
    super(message);
  }
}

/** Parses and type-checks `text` against `columns`. */
export function checkExpression(text: string, columns: TColumn[], opts: { expect?: FieldType } = {}): CheckResult {
  const parsed = parseExpression(text);
  if (!parsed.ok) return { ok: false, error: { code: 'expression_syntax', message: parsed.error.message, pos: parsed.error.pos } };
  return checkParsed(parsed.expr, columns, opts);
}

export function checkParsed(expr: PExpr, columns: TColumn[], opts: { expect?: FieldType } = {}): CheckResult {
  try {
    const typed = new Checker(columns).check(expr);
    let out = typed.nullLit && opts.expect ? retypeNull(opts.expect) : typed.e;
    if (opts.expect && out.type !== opts.expect) {
      throw new CheckError('type_mismatch', `the expression is ${describeType(out.type)}, but ${describeType(opts.expect)} is needed — fix: wrap it in CAST(… AS ${opts.expect})`, expr.pos);
    }
    if (typed.nullLit && !opts.expect) out = retypeNull('string');
    return { ok: true, expr: out };
  } catch (err) {
    if (err instanceof CheckError) return { ok: false, error: { code: err.code, message: err.message, pos: err.pos } };
    throw err;
  }
}

type Typed = { e: TExpr; nullLit: boolean; pos: Pos };

const NUMERIC = new Set<FieldType>(['integer', 'number']);
const TEMPORAL = new Set<FieldType>(['date', 'timestamp']);
const SCALAR = new Set<FieldType>(['string', 'integer', 'number', 'boolean', 'date', 'timestamp']);

function retypeNull(t: FieldType): TExpr {
  return { kind: 'lit', type: t, value: null };
}

function cast(e: TExpr, to: FieldType): TExpr {
  if (e.type === to) return e;
  if (!isCastTarget(to)) throw new Error(`internal: no implicit conversion to ${to}`);
  return { kind: 'cast', type: to, arg: e };
}

export function isCastTarget(t: string): t is CastTarget {
  return CAST_TARGETS.some((x) => x === t);
}

function scalarOf(t: FieldType): ScalarType {
  if (t === 'json' || t === 'string_array') throw new Error(`internal: ${t} is not a scalar`);
  return t;
}

function numericOf(t: FieldType): 'integer' | 'number' {
  if (t !== 'integer' && t !== 'number') throw new Error(`internal: ${t} is not numeric`);
  return t;
}

function temporalOf(t: FieldType): 'date' | 'timestamp' {
  if (t !== 'date' && t !== 'timestamp') throw new Error(`internal: ${t} is not a date or timestamp`);
  return t;
}

function unitOf(s: string): DateUnit {
  const u = DATE_UNITS.find((x) => x === s.toLowerCase());
  if (!u) throw new Error(`internal: unknown unit ${s}`);
  return u;
}

/** Which explicit CASTs the language defines. */
export function castAllowed(from: FieldType, to: CastTarget): boolean {
  if (from === to) return true;
  if (from === 'json' || from === 'string_array') return false;
  switch (to) {
    case 'string':
      return true;
    case 'integer':
    case 'number':
    case 'boolean':
      return from === 'string' || from === 'integer' || from === 'number' || from === 'boolean';
    case 'date':
    case 'timestamp':
      return from === 'string' || from === 'date' || from === 'timestamp';
  }
}

class Checker {
  constructor(private readonly columns: TColumn[]) {}

  check(p: PExpr): Typed {
    const e = this.inner(p);
    return { ...e, pos: p.pos };
  }

  private ok(e: TExpr, pos: Pos): Typed {
    return { e, nullLit: false, pos };
  }

  private mismatch(message: string, pos: Pos): never {
    throw new CheckError('type_mismatch', message, pos);
  }

  /** Forces a typed value to `t`, retyping a bare NULL; errors otherwise. */
  private as(x: Typed, t: FieldType, what: string): TExpr {
    if (x.nullLit) return retypeNull(t);
    if (x.e.type === t) return x.e;
    if (t === 'number' && x.e.type === 'integer') return cast(x.e, 'number');
    this.mismatch(`${what} must be ${describeType(t)}, not ${describeType(x.e.type)}${fixFor(x.e.type, t)}`, x.pos);
  }

  /** The common type of several values (CASE branches, COALESCE, comparisons). */
  private unify(xs: Typed[], what: string): { type: FieldType; exprs: TExpr[] } {
    const typed = xs.filter((x) => !x.nullLit);
    if (typed.length === 0) return { type: 'string', exprs: xs.map(() => retypeNull('string')) };
    const types = new Set(typed.map((x) => x.e.type));
    let target: FieldType;
    if (types.size === 1) target = typed[0]!.e.type;
    else if ([...types].every((t) => NUMERIC.has(t))) target = 'number';
    else if ([...types].every((t) => TEMPORAL.has(t))) target = 'timestamp';
    else {
      const first = typed[0]!;
      const other = typed.find((x) => x.e.type !== first.e.type)!;
      this.mismatch(
        `${what}: ${describeType(first.e.type)} and ${describeType(other.e.type)} do not mix${fixFor(other.e.type, first.e.type)}`,
        other.pos,
      );
    }
    return { type: target, exprs: xs.map((x) => (x.nullLit ? retypeNull(target) : cast(x.e, target))) };
  }

  private comparable(xs: Typed[], what: string): { operandType: ScalarType; exprs: TExpr[] } {
    const u = this.unify(xs, what);
    if (!SCALAR.has(u.type)) {
      const bad = xs.find((x) => !x.nullLit && !SCALAR.has(x.e.type))!;
      this.mismatch(`${what}: a ${describeType(u.type)} value cannot be compared — fix: compare one of its elements, or test IS NULL`, bad.pos);
    }
    return { operandType: scalarOf(u.type), exprs: u.exprs };
  }

  private inner(p: PExpr): Typed {
    switch (p.kind) {
      case 'lit': {
        if (p.litType === 'null') return { e: retypeNull('string'), nullLit: true, pos: p.pos };
        return this.ok({ kind: 'lit', type: p.litType, value: p.value }, p.pos);
      }
      case 'col': {
        const col = this.columns.find((c) => c.name === p.name);
        if (!col) throw new CheckError('unknown_column', `unknown column "${p.name}" at column ${p.pos.start + 1} — ${unknownColumnHelp(this.columns, p.name)}`, p.pos);
        return this.ok({ kind: 'col', type: col.type, name: col.name }, p.pos);
      }
      case 'unary': {
        const arg = this.check(p.arg);
        if (p.op === 'not') return this.ok({ kind: 'not', type: 'boolean', arg: this.as(arg, 'boolean', 'the operand of NOT') }, p.pos);
        const t = arg.nullLit ? 'integer' : arg.e.type;
        if (!NUMERIC.has(t)) this.mismatch(`cannot negate a ${describeType(t)} — fix: "-" applies to numbers`, arg.pos);
        return this.ok({ kind: 'neg', type: numericOf(t), arg: arg.nullLit ? retypeNull(t) : arg.e }, p.pos);
      }
      case 'binary':
        return this.binary(p);
      case 'isnull':
        return this.ok({ kind: 'isnull', type: 'boolean', negated: p.negated, arg: this.check(p.arg).e }, p.pos);
      case 'in': {
        const all = [this.check(p.arg), ...p.list.map((x) => this.check(x))];
        const { operandType, exprs } = this.comparable(all, `${p.negated ? 'NOT IN' : 'IN'} list`);
        return this.ok({ kind: 'in', type: 'boolean', negated: p.negated, operandType, arg: exprs[0]!, list: exprs.slice(1) }, p.pos);
      }
      case 'between': {
        const { operandType, exprs } = this.comparable([this.check(p.arg), this.check(p.low), this.check(p.high)], 'BETWEEN');
        return this.ok({ kind: 'between', type: 'boolean', negated: p.negated, operandType, arg: exprs[0]!, low: exprs[1]!, high: exprs[2]! }, p.pos);
      }
      case 'case': {
        const whens = p.whens.map((w) => {
          let cond: TExpr;
          if (p.subject) {
            const { operandType, exprs } = this.comparable([this.check(p.subject), this.check(w.when)], 'CASE … WHEN');
            cond = { kind: 'compare', type: 'boolean', op: '=', operandType, left: exprs[0]!, right: exprs[1]! };
          } else {
            cond = this.as(this.check(w.when), 'boolean', 'a WHEN condition');
          }
          return { cond, then: this.check(w.then) };
        });
        const results = [...whens.map((w) => w.then), ...(p.else ? [this.check(p.else)] : [])];
        const u = this.unify(results, 'CASE results');
        const allNull = results.every((r) => r.nullLit);
        return {
          e: {
            kind: 'case',
            type: u.type,
            whens: whens.map((w, i) => ({ when: w.cond, then: u.exprs[i]! })),
            else: p.else ? u.exprs[whens.length]! : null,
          },
          nullLit: allNull,
          pos: p.pos,
        };
      }
      case 'cast': {
        const arg = this.check(p.arg);
        if (arg.nullLit) return this.ok(retypeNull(p.to), p.pos);
        if (!castAllowed(arg.e.type, p.to)) {
          this.mismatch(`cannot CAST a ${describeType(arg.e.type)} to ${p.to}${p.to === 'date' || p.to === 'timestamp' ? ' — fix: only strings, dates and timestamps convert to dates' : ''}`, p.pos);
        }
        return this.ok(cast(arg.e, p.to), p.pos);
      }
      case 'call':
        return this.call(p);
    }
  }

  private binary(p: Extract<PExpr, { kind: 'binary' }>): Typed {
    const l = this.check(p.left);
    const r = this.check(p.right);
    switch (p.op) {
      case 'and':
      case 'or':
        return this.ok({ kind: 'logic', type: 'boolean', op: p.op, left: this.as(l, 'boolean', `the left side of ${p.op.toUpperCase()}`), right: this.as(r, 'boolean', `the right side of ${p.op.toUpperCase()}`) }, p.pos);
      case '||':
        return this.ok({ kind: 'concat', type: 'string', args: [this.toStr(l, '||'), this.toStr(r, '||')] }, p.pos);
      case '=':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const { operandType, exprs } = this.comparable([l, r], `comparison ${p.op}`);
        return this.ok({ kind: 'compare', type: 'boolean', op: p.op, operandType, left: exprs[0]!, right: exprs[1]! }, p.pos);
      }
      default: {
        for (const x of [l, r]) {
          if (!x.nullLit && !NUMERIC.has(x.e.type)) {
            const hint = TEMPORAL.has(x.e.type) ? ' — fix: use date_add(value, n, \'day\') or date_diff(\'day\', a, b)' : x.e.type === 'string' && p.op === '+' ? ' — fix: use concat(a, b) or || to join text' : '';
            this.mismatch(`"${p.op}" needs numbers, not ${describeType(x.e.type)}${hint}`, x.pos);
          }
        }
        const u = this.unify([l, r], `"${p.op}"`);
        const type = u.type === 'string' ? 'integer' : numericOf(u.type);
        const [left, right] = l.nullLit && r.nullLit ? [retypeNull(type), retypeNull(type)] : [u.exprs[0]!, u.exprs[1]!];
        if (p.op === '%' && type !== 'integer') this.mismatch('"%" (remainder) needs integers — fix: CAST the operands AS integer', p.pos);
        return this.ok({ kind: 'arith', type, op: p.op, left, right }, p.pos);
      }
    }
  }

  private toStr(x: Typed, fnName: string): TExpr {
    if (x.nullLit) return retypeNull('string');
    if (!SCALAR.has(x.e.type)) this.mismatch(`${fnName} cannot take a ${describeType(x.e.type)}`, x.pos);
    return cast(x.e, 'string');
  }

  private arity(p: Extract<PExpr, { kind: 'call' }>, min: number, max: number, usage: string): void {
    if (p.args.length < min || p.args.length > max) {
      throw new CheckError('type_mismatch', `${p.name}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${p.args.length} — usage: ${usage}`, p.pos);
    }
  }

  private unitArg(p: PExpr, fn: string, allowed: readonly DateUnit[] = DATE_UNITS): DateUnit {
    if (p.kind !== 'lit' || p.litType !== 'string' || !allowed.some((u) => u === String(p.value).toLowerCase())) {
      throw new CheckError('type_mismatch', `${fn}() needs a unit in quotes: ${allowed.map((u) => `'${u}'`).join(', ')}`, p.pos);
    }
    return unitOf(String(p.value));
  }

  private intLiteral(p: PExpr, fn: string, what: string, min: number, max: number): number {
    if (p.kind !== 'lit' || p.litType !== 'integer' || typeof p.value !== 'number' || p.value < min || p.value > max) {
      throw new CheckError('type_mismatch', `${fn}(): ${what} must be a whole number from ${min} to ${max}, written as a number`, p.pos);
    }
    return p.value;
  }

  private temporal(x: Typed, what: string): TExpr {
    if (x.nullLit) return retypeNull('timestamp');
    if (!TEMPORAL.has(x.e.type)) this.mismatch(`${what} must be a date or a timestamp, not ${describeType(x.e.type)}${fixFor(x.e.type, 'date')}`, x.pos);
    return x.e;
  }

  private call(p: Extract<PExpr, { kind: 'call' }>): Typed {
    const at = (e: TExpr) => this.ok(e, p.pos);
    const arg = (i: number) => this.check(p.args[i]!);
    switch (p.name) {
      case 'coalesce': {
        this.arity(p, 1, 50, 'coalesce(a, b, …)');
        const u = this.unify(p.args.map((a) => this.check(a)), 'coalesce()');
        return { e: { kind: 'coalesce', type: u.type, args: u.exprs }, nullLit: p.args.every((a) => a.kind === 'lit' && a.litType === 'null'), pos: p.pos };
      }
      case 'concat':
        this.arity(p, 1, 50, 'concat(a, b, …)');
        return at({ kind: 'concat', type: 'string', args: p.args.map((a) => this.toStr(this.check(a), 'concat()')) });
      case 'lower':
      case 'upper':
      case 'trim':
      case 'sha256':
        this.arity(p, 1, 1, `${p.name}(text)`);
        return at({ kind: 'strfn', type: 'string', fn: p.name, arg: this.as(arg(0), 'string', `the argument of ${p.name}()`) });
      case 'length':
        this.arity(p, 1, 1, 'length(text)');
        return at({ kind: 'length', type: 'integer', arg: this.as(arg(0), 'string', 'the argument of length()') });
      case 'substring':
      case 'substr': {
        this.arity(p, 2, 3, "substring(text, start, length) — start counts from 1, e.g. substring(zip, 1, 5)");
        const s = this.as(arg(0), 'string', 'the first argument of substring()');
        const start = this.intLiteral(p.args[1]!, 'substring', 'start', 1, 1_000_000);
        const length = p.args[2] ? this.intLiteral(p.args[2], 'substring', 'length', 0, 1_000_000) : null;
        return at({ kind: 'substring', type: 'string', arg: s, start, length });
      }
      case 'contains':
      case 'starts_with':
        this.arity(p, 2, 2, `${p.name}(text, part)`);
        return at({ kind: 'strpred', type: 'boolean', fn: p.name, arg: this.as(arg(0), 'string', `the first argument of ${p.name}()`), needle: this.as(arg(1), 'string', `the second argument of ${p.name}()`) });
      case 'now':
        this.arity(p, 0, 0, 'now()');
        return at({ kind: 'now', type: 'timestamp' });
      case 'date_trunc': {
        this.arity(p, 2, 2, "date_trunc('month', value)");
        const unit = this.unitArg(p.args[0]!, 'date_trunc');
        const x = this.temporal(arg(1), 'the value of date_trunc()');
        if (x.type === 'date' && ['hour', 'minute', 'second'].includes(unit)) {
          this.mismatch(`date_trunc('${unit}', …) needs a timestamp; a date has no time of day — fix: CAST it AS timestamp`, p.args[1]!.pos);
        }
        return at({ kind: 'date_trunc', type: temporalOf(x.type), unit, arg: x });
      }
      case 'date_add': {
        this.arity(p, 3, 3, "date_add(value, amount, 'day')");
        const x = this.temporal(arg(0), 'the value of date_add()');
        const amount = this.as(arg(1), 'integer', 'the amount of date_add()');
        const unit = this.unitArg(p.args[2]!, 'date_add');
        if (x.type === 'date' && ['hour', 'minute', 'second'].includes(unit)) {
          this.mismatch(`date_add(…, '${unit}') needs a timestamp; a date has no time of day — fix: CAST it AS timestamp`, p.args[0]!.pos);
        }
        return at({ kind: 'date_add', type: temporalOf(x.type), unit, arg: x, amount });
      }
      case 'date_diff': {
        this.arity(p, 3, 3, "date_diff('day', start, end)");
        const unit = this.unitArg(p.args[0]!, 'date_diff');
        const u = this.unify([this.checkTemporal(p.args[1]!, 'the start of date_diff()'), this.checkTemporal(p.args[2]!, 'the end of date_diff()')], 'date_diff()');
        return at({ kind: 'date_diff', type: 'integer', unit, start: u.exprs[0]!, end: u.exprs[1]! });
      }
      case 'round': {
        this.arity(p, 1, 2, 'round(value, digits) — digits from 0 to 10');
        const x = arg(0);
        const t = x.nullLit ? 'number' : x.e.type;
        if (!NUMERIC.has(t)) this.mismatch(`round() needs a number, not ${describeType(t)}`, x.pos);
        const digits = p.args[1] ? this.intLiteral(p.args[1], 'round', 'digits', 0, 10) : 0;
        const xe = x.nullLit ? retypeNull(t) : x.e;
        return at({ kind: 'round', type: numericOf(t), arg: xe, digits });
      }
      case 'abs': {
        this.arity(p, 1, 1, 'abs(value)');
        const x = arg(0);
        const t = x.nullLit ? 'integer' : x.e.type;
        if (!NUMERIC.has(t)) this.mismatch(`abs() needs a number, not ${describeType(t)}`, x.pos);
        return at({ kind: 'abs', type: numericOf(t), arg: x.nullLit ? retypeNull(t) : x.e });
      }
      case 'in_last_days': {
        // Sugar for the filter's relative dates: value within [now - n days, now].
        this.arity(p, 2, 2, 'in_last_days(value, days)');
        const x = this.temporal(arg(0), 'the value of in_last_days()');
        const n = this.as(arg(1), 'integer', 'the number of days');
        const now: TExpr = x.type === 'date' ? { kind: 'cast', type: 'date', arg: { kind: 'now', type: 'timestamp' } } : { kind: 'now', type: 'timestamp' };
        const low: TExpr = { kind: 'date_add', type: temporalOf(x.type), unit: 'day', arg: now, amount: { kind: 'neg', type: 'integer', arg: n } };
        return at({ kind: 'between', type: 'boolean', negated: false, operandType: temporalOf(x.type), arg: x, low, high: now });
      }
      default:
        throw new CheckError('expression_syntax', `unknown function ${p.name}() — fix: use one of ${FUNCTION_NAMES.join(', ')}`, p.pos);
    }
  }

  private checkTemporal(p: PExpr, what: string): Typed {
    const x = this.check(p);
    return { e: this.temporal(x, what), nullLit: x.nullLit, pos: x.pos };
  }
}

export const FUNCTION_NAMES = [
  'abs', 'coalesce', 'concat', 'contains', 'date_add', 'date_diff', 'date_trunc', 'in_last_days', 'length', 'lower',
  'now', 'round', 'sha256', 'starts_with', 'substring', 'trim', 'upper',
];

function fixFor(from: FieldType, to: FieldType): string {
  if (isCastTarget(to) && castAllowed(from, to)) return ` — fix: convert it with CAST(… AS ${to})`;
  if (from === 'string' && TEMPORAL.has(to)) return ` — fix: convert the text with CAST(… AS ${to}), or write DATE 'YYYY-MM-DD'`;
  return '';
}
