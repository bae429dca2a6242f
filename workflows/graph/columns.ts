/**
 * A column as schema propagation sees it: name and Backflow type. Query nodes
 * get theirs from the warehouse (describe); every other node derives its own.
 * Browser-safe.
 */
import { z } from 'zod';
import { FIELD_TYPES, type FieldType } from '../../connectors/sdk/types';

export const ZFieldType = z.enum(FIELD_TYPES);

export const ZColumn = z.object({
  name: z.string().min(1),
  type: ZFieldType,
  /** The warehouse's own type name, when known (query nodes). */
  nativeType: z.string().optional(),
});
export type TColumn = z.infer<typeof ZColumn>;

/** Columns Backflow adds itself start with this prefix; user columns may not. */
export const RESERVED_PREFIX = '__bf_';

export function findColumn(columns: TColumn[], name: string): TColumn | undefined {
  return columns.find((c) => c.name === name);
}

/** "did you mean" help for an unknown column: a case-insensitive match, else the list. */
export function unknownColumnHelp(columns: TColumn[], name: string): string {
  const ci = columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (ci) return `did you mean "${ci.name}"? (names are case-sensitive)`;
  const names = columns.map((c) => c.name);
  if (names.length === 0) return 'the input has no columns';
  const shown = names.slice(0, 12).map((n) => `"${n}"`).join(', ');
  return `available: ${shown}${names.length > 12 ? `, … (${names.length} in all)` : ''}`;
}

export function describeType(t: FieldType): string {
  return t === 'string_array' ? 'list of strings' : t;
}
