/**
 * Filter conditions → one boolean expression of the language. Each condition is
 * type-checked on its own so a problem points at that condition; the operators
 * are the language's (contains, in_last_days…), so the SQL and the JS evaluator
 * treat NULLs and text exactly as in transforms.
 */
import type { TColumn } from '../../graph/columns';
import { describeType } from '../../graph/columns';
import { issue, type TIssue } from '../../graph/issues';
import type { PExpr, TExpr } from '../../compile/expr/ast';
import { checkExpression, checkParsed } from '../../compile/expr/check';
import { parseExpression } from '../../compile/expr/parser';
import { isValidDate, isValidTimestamp } from '../../compile/expr/temporal';
import { OPERATOR_LABELS, type TCondition, type TFilterConfig, type TFilterValue } from './schema';

const AT = { start: 0, end: 0 };

type Built = { expr: TExpr | null; issues: TIssue[] };
type Problem = { problem: string; code: 'type_mismatch' | 'invalid_config' };

function bad(problem: string, code: Problem['code'] = 'invalid_config'): Problem {
  return { problem, code };
}

function isProblem(x: PExpr | Problem): x is Problem {
  return 'problem' in x;
}

function valueExpr(v: TFilterValue, where: string): PExpr | Problem {
  if (v === null) return { kind: 'lit', litType: 'null', value: null, pos: AT };
  if (typeof v === 'string') return { kind: 'lit', litType: 'string', value: v, pos: AT };
  if (typeof v === 'number') return { kind: 'lit', litType: Number.isSafeInteger(v) ? 'integer' : 'number', value: v, pos: AT };
  if (typeof v === 'boolean') return { kind: 'lit', litType: 'boolean', value: v, pos: AT };
  if ('column' in v) return { kind: 'col', name: v.column, pos: AT };
  if ('date' in v) {
    if (!isValidDate(v.date)) return bad(`${where}: "${v.date}" is not a valid date — fix: use YYYY-MM-DD`);
    return { kind: 'lit', litType: 'date', value: v.date, pos: AT };
  }
  const ts = v.timestamp.replace('T', ' ').replace(/Z$/, '');
  const full = /^\d{4}-\d{2}-\d{2}$/.test(ts) ? `${ts} 00:00:00` : ts;
  if (!isValidTimestamp(full)) return bad(`${where}: "${v.timestamp}" is not a valid timestamp — fix: use YYYY-MM-DD HH:MM:SS (UTC)`);
  return { kind: 'lit', litType: 'timestamp', value: full, pos: AT };
}

function conditionExpr(c: Exclude<TCondition, { expression: string }>, columns: TColumn[], where: string): PExpr | Problem {
  const col: PExpr = { kind: 'col', name: c.column, pos: AT };
  const one = (): PExpr | Problem => (c.value === undefined ? bad(`${where}: "${OPERATOR_LABELS[c.operator]}" needs a value — fix: enter one`) : valueExpr(c.value, where));
  const column = columns.find((x) => x.name === c.column);
  // A tagged date is required next to a date column: plain text would be a type mismatch.
  if (column && (column.type === 'date' || column.type === 'timestamp')) {
    const plain = [c.value, ...(c.values ?? [])].find((v) => typeof v === 'string');
    if (typeof plain === 'string') {
      return bad(
        `${where}: "${c.column}" is a ${column.type} but "${plain}" is text — fix: pick a ${column.type} value (e.g. { "${column.type}": "${column.type === 'date' ? '2024-01-31' : '2024-01-31 00:00:00'}" })`,
        'type_mismatch',
      );
    }
  }
  const bin = (op: '=' | '!=' | '<' | '<=' | '>' | '>='): PExpr | Problem => {
    const v = one();
    return isProblem(v) ? v : { kind: 'binary', op, left: col, right: v, pos: AT };
  };
  switch (c.operator) {
    case 'eq':
      return bin('=');
    case 'neq':
      return bin('!=');
    case 'lt':
      return bin('<');
    case 'lte':
      return bin('<=');
    case 'gt':
      return bin('>');
    case 'gte':
      return bin('>=');
    case 'contains':
    case 'starts_with': {
      const v = one();
      return isProblem(v) ? v : { kind: 'call', name: c.operator, args: [col, v], pos: AT };
    }
    case 'in':
    case 'not_in': {
      if (!c.values || c.values.length === 0) return bad(`${where}: "${OPERATOR_LABELS[c.operator]}" needs at least one value — fix: add values`);
      const list: PExpr[] = [];
      for (const v of c.values) {
        const e = valueExpr(v, where);
        if (isProblem(e)) return e;
        list.push(e);
      }
      return { kind: 'in', negated: c.operator === 'not_in', arg: col, list, pos: AT };
    }
    case 'between': {
      if (!c.values || c.values.length !== 2) return bad(`${where}: "is between" needs two values (low and high) — fix: enter both`);
      const lo = valueExpr(c.values[0]!, where);
      const hi = valueExpr(c.values[1]!, where);
      if (isProblem(lo)) return lo;
      if (isProblem(hi)) return hi;
      return { kind: 'between', negated: false, arg: col, low: lo, high: hi, pos: AT };
    }
    case 'is_null':
    case 'is_not_null':
      return { kind: 'isnull', negated: c.operator === 'is_not_null', arg: col, pos: AT };
    case 'in_last_days':
      if (c.days === undefined) return bad(`${where}: "in the last N days" needs the number of days — fix: enter N`);
      return { kind: 'call', name: 'in_last_days', args: [col, { kind: 'lit', litType: 'integer', value: c.days, pos: AT }], pos: AT };
  }
}

/** The filter's WHERE condition, or null when it has no conditions. */
export function buildFilter(config: TFilterConfig, columns: TColumn[], nodeId: string, name: string): Built {
  const issues: TIssue[] = [];
  const groups: TExpr[] = [];
  for (const [gi, group] of config.groups.entries()) {
    const parts: TExpr[] = [];
    for (const [ci, c] of group.conditions.entries()) {
      const path = ['groups', gi, 'conditions', ci];
      const where = `${name}, group ${gi + 1}, condition ${ci + 1}`;
      if ('expression' in c) {
        const r = checkExpression(c.expression, columns, { expect: 'boolean' });
        if (r.ok) parts.push(r.expr);
        else issues.push(issue(r.error.code, `${where}: ${r.error.message}`, { nodeId, path: [...path, 'expression'], position: r.error.pos }));
        continue;
      }
      const built = conditionExpr(c, columns, where);
      if (isProblem(built)) {
        issues.push(issue(built.code, built.problem, { nodeId, path }));
        continue;
      }
      const r = checkParsed(built, columns, { expect: 'boolean' });
      if (r.ok) parts.push(r.expr);
      else {
        const col = columns.find((x) => x.name === c.column);
        const hint = col ? ` ("${c.column}" is ${describeType(col.type)})` : '';
        issues.push(issue(r.error.code, `${where}: ${r.error.message.replace(/ at column \d+/, '')}${r.error.code === 'type_mismatch' ? hint : ''}`, { nodeId, path }));
      }
    }
    if (parts.length) groups.push(combine(parts, group.match));
  }
  return { expr: groups.length ? combine(groups, config.match) : null, issues };
}

function combine(parts: TExpr[], match: 'all' | 'any'): TExpr {
  return parts.slice(1).reduce<TExpr>((left, right) => ({ kind: 'logic', type: 'boolean', op: match === 'all' ? 'and' : 'or', left, right }), parts[0]!);
}

/** Syntax errors of expression conditions: what can be checked while the input's columns are unknown. */
export function filterSyntaxIssues(config: TFilterConfig, nodeId: string, name: string): TIssue[] {
  const issues: TIssue[] = [];
  for (const [gi, group] of config.groups.entries()) {
    for (const [ci, c] of group.conditions.entries()) {
      if (!('expression' in c)) continue;
      const r = parseExpression(c.expression);
      if (!r.ok) {
        issues.push(issue('expression_syntax', `${name}, group ${gi + 1}, condition ${ci + 1}: ${r.error.message}`, { nodeId, path: ['groups', gi, 'conditions', ci, 'expression'], position: r.error.pos }));
      }
    }
  }
  return issues;
}
