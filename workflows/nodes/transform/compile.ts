import { emitSql } from '../../compile/expr/sql';
import type { CompileArgs } from '../types';
import { deriveColumns } from './derive';
import type { TTransformConfig } from './schema';

export function compileTransform({ node, config, dialect: d, input, now }: CompileArgs<TTransformConfig>): string {
  if (!input) throw new Error(`transform ${node.id} has no input`);
  const { derived } = deriveColumns(config, input.columns, node.id, node.id);
  const ctx = { column: (n: string) => d.quoteIdent(n), ...(now ? { now } : {}) };
  const list = [
    ...input.columns.map((c) => d.quoteIdent(c.name)),
    ...derived.map((x) => `${emitSql(x.expr, d, ctx)} AS ${d.quoteIdent(x.name)}`),
  ];
  return `SELECT ${list.join(',\n    ')}\n  FROM ${input.cte}`;
}
