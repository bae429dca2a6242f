/**
 * The expression language's two trees:
 * - PExpr: what the parser produces, with source positions, untyped;
 * - TExpr: what the type checker produces. Every node carries its type, implicit
 *   promotions are explicit `cast` nodes, and sugar (in_last_days, simple CASE)
 *   is gone, so the SQL emitters and the JS evaluator implement one small core.
 * Browser-safe.
 */
import type { FieldType } from '../../../connectors/sdk/types';

export type Pos = { start: number; end: number };

export type ArithOp = '+' | '-' | '*' | '/' | '%';
export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicOp = 'and' | 'or';
export type BinaryOp = ArithOp | CompareOp | LogicOp | '||';

/** Types a CAST may target. */
export const CAST_TARGETS = ['string', 'integer', 'number', 'boolean', 'date', 'timestamp'] as const;
export type CastTarget = (typeof CAST_TARGETS)[number];

export type LiteralType = 'string' | 'integer' | 'number' | 'boolean' | 'null' | 'date' | 'timestamp';

export type PExpr =
  | { kind: 'lit'; litType: LiteralType; value: string | number | boolean | null; pos: Pos }
  | { kind: 'col'; name: string; pos: Pos }
  | { kind: 'unary'; op: 'neg' | 'not'; arg: PExpr; pos: Pos }
  | { kind: 'binary'; op: BinaryOp; left: PExpr; right: PExpr; pos: Pos }
  | { kind: 'isnull'; negated: boolean; arg: PExpr; pos: Pos }
  | { kind: 'in'; negated: boolean; arg: PExpr; list: PExpr[]; pos: Pos }
  | { kind: 'between'; negated: boolean; arg: PExpr; low: PExpr; high: PExpr; pos: Pos }
  | { kind: 'case'; subject: PExpr | null; whens: { when: PExpr; then: PExpr }[]; else: PExpr | null; pos: Pos }
  | { kind: 'cast'; arg: PExpr; to: CastTarget; pos: Pos }
  | { kind: 'call'; name: string; args: PExpr[]; pos: Pos };

/** Scalar types expressions compute with; json and string_array only pass through. */
export type ScalarType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'timestamp';

export const DATE_UNITS = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'] as const;
export type DateUnit = (typeof DATE_UNITS)[number];

export type TExpr =
  /** Dates are 'YYYY-MM-DD', timestamps 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC). */
  | { kind: 'lit'; type: FieldType; value: string | number | boolean | null }
  | { kind: 'col'; type: FieldType; name: string }
  | { kind: 'now'; type: 'timestamp' }
  | { kind: 'neg'; type: 'integer' | 'number'; arg: TExpr }
  | { kind: 'not'; type: 'boolean'; arg: TExpr }
  /** Both operands have `type` (integer or number); `%` is integer-only. */
  | { kind: 'arith'; type: 'integer' | 'number'; op: ArithOp; left: TExpr; right: TExpr }
  | { kind: 'logic'; type: 'boolean'; op: LogicOp; left: TExpr; right: TExpr }
  /** Both operands have `operandType`. */
  | { kind: 'compare'; type: 'boolean'; op: CompareOp; operandType: ScalarType; left: TExpr; right: TExpr }
  | { kind: 'isnull'; type: 'boolean'; negated: boolean; arg: TExpr }
  | { kind: 'in'; type: 'boolean'; negated: boolean; operandType: ScalarType; arg: TExpr; list: TExpr[] }
  | { kind: 'between'; type: 'boolean'; negated: boolean; operandType: ScalarType; arg: TExpr; low: TExpr; high: TExpr }
  | { kind: 'case'; type: FieldType; whens: { when: TExpr; then: TExpr }[]; else: TExpr | null }
  | { kind: 'cast'; type: CastTarget; arg: TExpr }
  | { kind: 'coalesce'; type: FieldType; args: TExpr[] }
  /** Arguments are strings; NULL counts as ''. */
  | { kind: 'concat'; type: 'string'; args: TExpr[] }
  | { kind: 'strfn'; type: 'string'; fn: 'lower' | 'upper' | 'trim' | 'sha256'; arg: TExpr }
  | { kind: 'length'; type: 'integer'; arg: TExpr }
  /** 1-based start >= 1, length >= 0 or null for "to the end". */
  | { kind: 'substring'; type: 'string'; arg: TExpr; start: number; length: number | null }
  | { kind: 'strpred'; type: 'boolean'; fn: 'contains' | 'starts_with'; arg: TExpr; needle: TExpr }
  | { kind: 'date_trunc'; type: 'date' | 'timestamp'; unit: DateUnit; arg: TExpr }
  | { kind: 'date_add'; type: 'date' | 'timestamp'; unit: DateUnit; arg: TExpr; amount: TExpr }
  /** Whole `unit`s from start to end, truncated toward zero; dates count as midnight. */
  | { kind: 'date_diff'; type: 'integer'; unit: DateUnit; start: TExpr; end: TExpr }
  | { kind: 'round'; type: 'integer' | 'number'; arg: TExpr; digits: number }
  | { kind: 'abs'; type: 'integer' | 'number'; arg: TExpr };

export type TExprKind = TExpr['kind'];

/** Calls `fn` on every node of the tree (pre-order). */
export function walk(e: TExpr, fn: (e: TExpr) => void): void {
  fn(e);
  for (const c of children(e)) walk(c, fn);
}

export function children(e: TExpr): TExpr[] {
  switch (e.kind) {
    case 'lit':
    case 'col':
    case 'now':
      return [];
    case 'neg':
    case 'not':
    case 'isnull':
    case 'cast':
    case 'strfn':
    case 'length':
    case 'substring':
    case 'date_trunc':
    case 'round':
    case 'abs':
      return [e.arg];
    case 'arith':
    case 'logic':
    case 'compare':
      return [e.left, e.right];
    case 'in':
      return [e.arg, ...e.list];
    case 'between':
      return [e.arg, e.low, e.high];
    case 'case':
      return [...e.whens.flatMap((w) => [w.when, w.then]), ...(e.else ? [e.else] : [])];
    case 'coalesce':
    case 'concat':
      return e.args;
    case 'strpred':
      return [e.arg, e.needle];
    case 'date_add':
      return [e.arg, e.amount];
    case 'date_diff':
      return [e.start, e.end];
  }
}

/** Replaces column references by other trees (a transform's earlier derived columns). */
export function substituteColumns(e: TExpr, defs: ReadonlyMap<string, TExpr>): TExpr {
  const s = (x: TExpr) => substituteColumns(x, defs);
  switch (e.kind) {
    case 'col':
      return defs.get(e.name) ?? e;
    case 'lit':
    case 'now':
      return e;
    case 'neg':
      return { ...e, arg: s(e.arg) };
    case 'not':
      return { ...e, arg: s(e.arg) };
    case 'isnull':
      return { ...e, arg: s(e.arg) };
    case 'cast':
      return { ...e, arg: s(e.arg) };
    case 'strfn':
      return { ...e, arg: s(e.arg) };
    case 'length':
      return { ...e, arg: s(e.arg) };
    case 'substring':
      return { ...e, arg: s(e.arg) };
    case 'date_trunc':
      return { ...e, arg: s(e.arg) };
    case 'round':
      return { ...e, arg: s(e.arg) };
    case 'abs':
      return { ...e, arg: s(e.arg) };
    case 'arith':
      return { ...e, left: s(e.left), right: s(e.right) };
    case 'logic':
      return { ...e, left: s(e.left), right: s(e.right) };
    case 'compare':
      return { ...e, left: s(e.left), right: s(e.right) };
    case 'in':
      return { ...e, arg: s(e.arg), list: e.list.map(s) };
    case 'between':
      return { ...e, arg: s(e.arg), low: s(e.low), high: s(e.high) };
    case 'case':
      return { ...e, whens: e.whens.map((w) => ({ when: s(w.when), then: s(w.then) })), else: e.else ? s(e.else) : null };
    case 'coalesce':
      return { ...e, args: e.args.map(s) };
    case 'concat':
      return { ...e, args: e.args.map(s) };
    case 'strpred':
      return { ...e, arg: s(e.arg), needle: s(e.needle) };
    case 'date_add':
      return { ...e, arg: s(e.arg), amount: s(e.amount) };
    case 'date_diff':
      return { ...e, start: s(e.start), end: s(e.end) };
  }
}
