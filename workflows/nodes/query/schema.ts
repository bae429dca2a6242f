import { z } from 'zod';
import { ZColumn } from '../../graph/columns';

/** A dbt model picked from target/manifest.json (see app/_server/pipelines/dbt.ts). */
export const ZDbtModelRef = z.object({
  uniqueId: z.string().min(1),
  name: z.string().min(1),
  /** The relation the model builds: database.schema.alias. */
  database: z.string().nullish(),
  schema: z.string().min(1),
  alias: z.string().min(1),
  description: z.string().optional(),
  columns: z.array(z.object({ name: z.string(), description: z.string().optional(), dataType: z.string().nullish() })).default([]),
});
export type TDbtModelRef = z.infer<typeof ZDbtModelRef>;

export const ZQuerySource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sql'), sql: z.string().min(1, 'write a SELECT statement') }),
  z.object({ kind: z.literal('table'), schema: z.string().min(1).nullish(), table: z.string().min(1, 'pick a table') }),
  z.object({ kind: z.literal('dbt'), model: ZDbtModelRef }),
]);
export type TQuerySource = z.infer<typeof ZQuerySource>;

export const ZQueryConfig = z.object({
  connectionId: z.string().min(1, 'pick a source connection'),
  source: ZQuerySource,
  /** Column(s) that identify a row; they make the record key. */
  primaryKey: z.array(z.string().min(1)).default([]),
  /**
   * Columns from the last introspection (the UI refreshes it); the server
   * re-introspects on validate, publish and preview.
   */
  columns: z.array(ZColumn).optional(),
});
export type TQueryConfig = z.infer<typeof ZQueryConfig>;
