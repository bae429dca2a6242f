/**
 * The compiled, immutable plan of a published pipeline version: what the sync
 * engine executes. Stored as JSON on the version (identified by its content
 * hash) and validated with this schema whenever it is read back.
 *
 * SQL contract for each path (one per query → destination path):
 *   - one statement in the source's dialect, one CTE per node (pushdown);
 *   - its final SELECT returns exactly the column RECORD_KEY_COLUMN followed by
 *     one column per `fields[i].name`, in that order, already coerced to
 *     `fields[i].type`;
 *   - RECORD_KEY_COLUMN is text identifying the source row (its primary key),
 *     NULL when any primary-key column is NULL;
 *   - identifiers are quoted and literals quoted or bound: no user text is
 *     spliced into SQL unescaped.
 */
import { z } from 'zod';
import { FIELD_TYPES, SYNC_MODES } from '../../connectors/sdk/types';

export const RECORD_KEY_COLUMN = '__bf_record_key';

export const ZSourceDialect = z.enum(['duckdb', 'postgres', 'mysql', 'snowflake', 'bigquery']);

export const ZPlanField = z.object({
  /** Destination field name; also the output column name of the path's SQL. */
  name: z.string().min(1),
  type: z.enum(FIELD_TYPES),
  /** What a NULL does: send it as null, or leave the field out of the payload. */
  whenNull: z.enum(['send_null', 'omit']),
  /** Only write when the destination value is empty (connectors that support it). */
  onlyIfEmpty: z.boolean().default(false),
});
export type TPlanField = z.infer<typeof ZPlanField>;

export const ZPlanPath = z.object({
  /** The destination node id; with the pipeline id it identifies the sync. */
  id: z.string().min(1),
  /** Node ids from the query to the destination, in order. */
  nodeIds: z.array(z.string()).min(2),
  source: z.object({ connectionId: z.string().min(1), dialect: ZSourceDialect }),
  sql: z.string().min(1),
  /** Source columns that make up the record key. */
  primaryKey: z.array(z.string().min(1)).min(1),
  fields: z.array(ZPlanField).min(1),
  /** The field (one of `fields`) whose value finds the record in the destination. */
  matchField: z.string().min(1),
  destination: z.object({
    connectionId: z.string().min(1),
    connector: z.string().min(1),
    object: z.string().min(1),
    mode: z.enum(SYNC_MODES),
    options: z.record(z.string(), z.unknown()).default({}),
  }),
});
export type TPlanPath = z.infer<typeof ZPlanPath>;

export const ZPlan = z.object({
  version: z.literal(1),
  pipelineId: z.string().min(1),
  paths: z.array(ZPlanPath).min(1),
});
export type TPlan = z.infer<typeof ZPlan>;
