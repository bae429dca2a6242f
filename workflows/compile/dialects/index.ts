/** The dialect for each source kind; Redshift sources use the postgres dialect. */
import { BigQueryDialect } from './bigquery';
import type { Dialect } from './dialect';
import { DuckDbDialect } from './duckdb';
import { MySqlDialect } from './mysql';
import type { TSourceDialectName } from './names';
import { PostgresDialect } from './postgres';
import { RedshiftDialect } from './redshift';
import { SnowflakeDialect } from './snowflake';

export { Dialect } from './dialect';
export { planDialect, SOURCE_DIALECTS, ZSourceDialectName, type TSourceDialectName } from './names';

const DIALECTS: Record<TSourceDialectName, Dialect> = {
  duckdb: new DuckDbDialect(),
  postgres: new PostgresDialect(),
  redshift: new RedshiftDialect(),
  mysql: new MySqlDialect(),
  snowflake: new SnowflakeDialect(),
  bigquery: new BigQueryDialect(),
};

export function dialectFor(name: TSourceDialectName): Dialect {
  return DIALECTS[name];
}
