/** The SELECT a query node reads, in the source's dialect (identifiers quoted). */
import type { Dialect } from '../../compile/dialects/dialect';
import { trimStatement } from './read-only';
import type { TQuerySource } from './schema';

export function sourceSql(source: TQuerySource, d: Dialect): string {
  switch (source.kind) {
    case 'sql':
      return trimStatement(source.sql);
    case 'table':
      return `SELECT * FROM ${[source.schema, source.table].filter((p): p is string => Boolean(p)).map((p) => d.quoteIdent(p)).join('.')}`;
    case 'dbt': {
      // Rebuilt from its parts rather than the manifest's relation_name, so a
      // manifest cannot smuggle SQL in.
      const m = source.model;
      return `SELECT * FROM ${[m.database, m.schema, m.alias].filter((p): p is string => Boolean(p)).map((p) => d.quoteIdent(p)).join('.')}`;
    }
  }
}
