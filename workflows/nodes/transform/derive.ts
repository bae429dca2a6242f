/**
 * Type-checks a transform's derived columns in order. A later column may use an
 * earlier one: its reference is replaced by the earlier expression, because a
 * SELECT cannot refer to an alias defined in the same SELECT.
 */
import { checkExpression, castAllowed } from '../../compile/expr/check';
import { parseExpression } from '../../compile/expr/parser';
import { substituteColumns, type TExpr } from '../../compile/expr/ast';
import { describeType, RESERVED_PREFIX, type TColumn } from '../../graph/columns';
import { issue, type TIssue } from '../../graph/issues';
import type { TTransformConfig } from './schema';

export type Derived = { name: string; expr: TExpr };

export function deriveColumns(config: TTransformConfig, input: TColumn[], nodeId: string, name: string): { derived: Derived[]; issues: TIssue[] } {
  const issues: TIssue[] = [];
  const derived: Derived[] = [];
  const visible: TColumn[] = input.map((c) => ({ ...c }));
  const defs = new Map<string, TExpr>();
  for (const [i, col] of config.columns.entries()) {
    const where = `${name}, column "${col.name}"`;
    const path = ['columns', i];
    if (col.name.startsWith(RESERVED_PREFIX)) {
      issues.push(issue('invalid_column_name', `${where}: names starting with ${RESERVED_PREFIX} are reserved — fix: choose another name`, { nodeId, path: [...path, 'name'] }));
      continue;
    }
    if (visible.some((c) => c.name === col.name)) {
      const clash = input.some((c) => c.name === col.name) ? 'the input already has a column with this name' : 'an earlier derived column has this name';
      issues.push(issue('duplicate_output', `${where}: ${clash} — fix: choose another name`, { nodeId, path: [...path, 'name'] }));
      continue;
    }
    const r = checkExpression(col.expression, visible);
    if (!r.ok) {
      issues.push(issue(r.error.code, `${where}: ${r.error.message}`, { nodeId, path: [...path, 'expression'], position: r.error.pos }));
      // Keep later columns checkable without cascading "unknown column" errors.
      visible.push({ name: col.name, type: col.type ?? 'string' });
      continue;
    }
    let expr = r.expr;
    if (col.type && expr.type !== col.type) {
      if (!castAllowed(expr.type, col.type)) {
        issues.push(issue('type_mismatch', `${where}: the expression is ${describeType(expr.type)} and cannot be converted to ${col.type} — fix: change the declared type or the expression`, { nodeId, path: [...path, 'type'] }));
        visible.push({ name: col.name, type: col.type });
        continue;
      }
      expr = { kind: 'cast', type: col.type, arg: expr };
    }
    const inlined = substituteColumns(expr, defs);
    defs.set(col.name, inlined);
    derived.push({ name: col.name, expr: inlined });
    visible.push({ name: col.name, type: expr.type });
  }
  return { derived, issues };
}

/** Syntax errors only: what can be checked while the input's columns are unknown. */
export function syntaxIssues(config: TTransformConfig, nodeId: string, name: string): TIssue[] {
  const issues: TIssue[] = [];
  for (const [i, col] of config.columns.entries()) {
    const r = parseExpression(col.expression);
    if (!r.ok) issues.push(issue('expression_syntax', `${name}, column "${col.name}": ${r.error.message}`, { nodeId, path: ['columns', i, 'expression'], position: r.error.pos }));
  }
  return issues;
}
