import { emitSql } from '../../compile/expr/sql';
import type { CompileArgs } from '../types';
import { buildFilter } from './condition';
import type { TFilterConfig } from './schema';

export function compileFilter({ node, config, dialect: d, input, now }: CompileArgs<TFilterConfig>): string {
  if (!input) throw new Error(`filter ${node.id} has no input`);
  const { expr } = buildFilter(config, input.columns, node.id, node.id);
  const cols = input.columns.map((c) => d.quoteIdent(c.name)).join(', ');
  const from = `SELECT ${cols}\n  FROM ${input.cte}`;
  if (!expr) return from;
  const where = emitSql(expr, d, { column: (n) => d.quoteIdent(n), ...(now ? { now } : {}) });
  return `${from}\n  WHERE ${where}`;
}
