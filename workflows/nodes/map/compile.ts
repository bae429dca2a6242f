import { RECORD_KEY_COLUMN } from '../../compile/plan';
import { emitSql } from '../../compile/expr/sql';
import type { CompileArgs } from '../types';
import { recordKeyExpr } from './record-key';
import { resolveMap } from './resolve';
import type { TMapConfig } from './schema';

/** SELECT <record key> AS __bf_record_key, <field value, coerced> AS <field>, … */
export function compileMap({ node, config, dialect: d, input, primaryKey, now }: CompileArgs<TMapConfig>): string {
  if (!input) throw new Error(`map ${node.id} has no input`);
  const { fields } = resolveMap(config, input.columns, node.id, node.id);
  const ctx = { column: (n: string) => d.quoteIdent(n), ...(now ? { now } : {}) };
  const list = [
    `${emitSql(recordKeyExpr(primaryKey, input.columns), d, ctx)} AS ${d.quoteIdent(RECORD_KEY_COLUMN)}`,
    ...fields.map((f) => `${f.value.kind === 'list' ? d.stringArray(f.value.values) : emitSql(f.value.expr, d, ctx)} AS ${d.quoteIdent(f.name)}`),
  ];
  return `SELECT ${list.join(',\n    ')}\n  FROM ${input.cte}`;
}
