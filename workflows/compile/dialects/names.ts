/**
 * Dialect names (browser-safe). The connectors' SourceDialect, plus redshift:
 * Redshift sources declare `postgres` (what the plan records), but their SQL
 * is generated with Redshift's functions.
 */
import { z } from 'zod';
import type { TPlanPath } from '../plan';

export const SOURCE_DIALECTS = ['duckdb', 'postgres', 'redshift', 'mysql', 'snowflake', 'bigquery'] as const;
export const ZSourceDialectName = z.enum(SOURCE_DIALECTS);
export type TSourceDialectName = z.infer<typeof ZSourceDialectName>;

/** The dialect a plan records for SQL generated in `d`. */
export function planDialect(d: TSourceDialectName): TPlanPath['source']['dialect'] {
  return d === 'redshift' ? 'postgres' : d;
}
