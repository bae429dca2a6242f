import type { CompileArgs } from '../types';
import type { TQueryConfig } from './schema';
import { sourceSql } from './source-sql';

/**
 * SELECT <each column, normalised> FROM (<source SQL>): an explicit column list,
 * numbers as doubles and timestamps in UTC, so every later CTE sees the
 * language's types whatever the warehouse returns.
 */
export function compileQuery({ config, dialect: d, columns }: CompileArgs<TQueryConfig>): string {
  const list = columns.map((c) => `${d.normalizeColumn(`${d.quoteIdent('__bf_source')}.${d.quoteIdent(c.name)}`, c.type, c.nativeType)} AS ${d.quoteIdent(c.name)}`);
  return `SELECT ${list.join(',\n    ')}\n  FROM (\n${indent(sourceSql(config.source, d), 4)}\n  ) AS ${d.quoteIdent('__bf_source')}`;
}

function indent(s: string, n: number): string {
  const pad = ' '.repeat(n);
  return s
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
