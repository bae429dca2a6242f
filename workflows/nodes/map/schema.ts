import { z } from 'zod';
import { ZFieldType } from '../../graph/columns';

/** A destination field as the connector's discover() describes it (connectors/sdk/types FieldDescriptor). */
export const ZFieldDescriptor = z.object({
  name: z.string().min(1),
  label: z.string().optional(),
  type: ZFieldType,
  required: z.boolean().optional(),
  unique: z.boolean().optional(),
  readOnly: z.boolean().optional(),
  description: z.string().optional(),
});
export type TFieldDescriptor = z.infer<typeof ZFieldDescriptor>;

export const ZMappingSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('column'), column: z.string().min(1, 'pick a column') }),
  z.object({ kind: z.literal('expression'), expression: z.string() }),
  z.object({ kind: z.literal('static'), value: z.json() }),
]);
export type TMappingSource = z.infer<typeof ZMappingSource>;

export const ZMapping = z.object({
  /** Destination field name. */
  field: z.string().min(1, 'pick a destination field'),
  source: ZMappingSource,
  /** What a NULL does: send it as null, or leave the field out of the payload. */
  whenNull: z.enum(['send_null', 'omit']).default('send_null'),
  /** Only write when the destination's value is empty (connectors with setOnlyIfEmpty). */
  onlyIfEmpty: z.boolean().default(false),
});
export type TMapping = z.infer<typeof ZMapping>;

export const ZMapConfig = z.object({
  mappings: z.array(ZMapping).default([]),
  /** The destination field (one of the mapped fields) that finds the record: the match key. */
  matchField: z.string().optional(),
  /**
   * The destination object's fields as last discovered, so validation and
   * compiling work offline. Refreshed through the router (pipeline.destinationFields).
   */
  destinationFields: z
    .object({
      connectionId: z.string().min(1),
      object: z.string().min(1),
      fields: z.array(ZFieldDescriptor),
      fetchedAt: z.string().optional(),
    })
    .optional(),
});
export type TMapConfig = z.infer<typeof ZMapConfig>;
