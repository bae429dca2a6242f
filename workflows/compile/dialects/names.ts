/** Dialect names (browser-safe; matches connectors' SourceDialect). */
import { z } from 'zod';

export const SOURCE_DIALECTS = ['duckdb', 'postgres', 'mysql', 'snowflake', 'bigquery'] as const;
export const ZSourceDialectName = z.enum(SOURCE_DIALECTS);
export type TSourceDialectName = z.infer<typeof ZSourceDialectName>;
